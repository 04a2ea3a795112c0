/**
 * Encoded protobuf sizes, so codecs can cut chunks by measured bytes without
 * serializing twice. Numbers are JavaScript doubles: exact up to 2^53, and
 * the size arithmetic below stays exact far beyond that.
 */

/** Bytes of an unsigned varint. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(value / 0x10000000);
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/** Bytes of a sint32/sint64 (zigzag varint); a bigint's size is exact enough as a double. */
export function zigzagSize(value: number | bigint): number {
  const n = Number(value);
  return varintSize(n >= 0 ? n * 2 : -n * 2 - 1);
}

/** Bytes of one string field entry: tag, length, UTF-8 bytes. */
export function stringFieldSize(value: string): number {
  const bytes = value.length < 64 && isAscii(value) ? value.length : Buffer.byteLength(value, "utf8");
  return 1 + varintSize(bytes) + bytes;
}

/** Bytes of a packed repeated field whose elements take `payload` bytes (nothing when empty). */
export function packedSize(payload: number): number {
  return payload === 0 ? 0 : 1 + varintSize(payload) + payload;
}

/** Bytes of an embedded message field of `payload` bytes (always present, even empty). */
export function messageFieldSize(payload: number): number {
  return 1 + varintSize(payload) + payload;
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

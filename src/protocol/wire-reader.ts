/**
 * A protobuf reader for the few hot messages whose generated decoders are
 * slow: ts-proto reads every sint64 through a BigInt, which makes integer
 * codes and columns cost several times what they need. Varints here decode
 * straight into JavaScript numbers, and a sint64 beyond 2^53 into a bigint
 * (never a rounded double: qlik-oss's connectors send int8 columns whole).
 */
import { MalformedDataError } from "../errors.js";
import type { Numeric } from "./cells.js";

/** The bytes are not a well-formed message. */
export class WireFormatError extends MalformedDataError {}

const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
}

export class WireReader {
  private pos: number;
  private readonly view: DataView;
  private readonly buffer: Buffer;

  constructor(
    bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let byte = this.byte();
    if (byte < 0x80) return byte;
    let result = byte & 0x7f;
    let multiplier = 0x80;
    do {
      byte = this.byte();
      result += (byte & 0x7f) * multiplier;
      multiplier *= 0x80;
    } while (byte >= 0x80);
    return result;
  }

  /** A sint32/sint64, exact: a number up to 2^53, a bigint beyond. */
  zigzag(): Numeric {
    const start = this.pos;
    const n = this.varint();
    // Rounding is monotonic, so a rounded n past MAX_SAFE_INTEGER means the true one is too.
    if (n <= Number.MAX_SAFE_INTEGER) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    this.pos = start;
    const big = this.varintBig();
    const value = big & 1n ? -((big + 1n) >> 1n) : big >> 1n;
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }

  /** A varint of up to 64 bits, exact. */
  private varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.byte();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte >= 0x80);
    return BigInt.asUintN(64, result);
  }

  double(): number {
    this.need(8);
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  string(): string {
    const length = this.varint();
    this.need(length);
    const text = this.buffer.toString("utf8", this.pos, this.pos + length);
    this.pos += length;
    return text;
  }

  /** A bytes field, as a view of the message's buffer (no copy). */
  bytes(): Buffer {
    const length = this.varint();
    this.need(length);
    const bytes = this.buffer.subarray(this.pos, this.pos + length);
    this.pos += length;
    return bytes;
  }

  /** A reader over the next length-delimited field (an embedded message or a packed run). */
  sub(): WireReader {
    const length = this.varint();
    this.need(length);
    const reader = new WireReader(this.buffer, this.pos, this.pos + length);
    this.pos += length;
    return reader;
  }

  /**
   * Appends a repeated scalar field's values, packed (wire type 2) or one at
   * a time (its own wire type: 0 for varints, 1 for doubles); any other wire
   * type is skipped, as the generated decoders do.
   */
  repeated<T extends Numeric>(wireType: number, scalarType: 0 | 1, values: T[], read: (reader: WireReader) => T): void {
    if (wireType === scalarType) {
      values.push(read(this));
      return;
    }
    if (wireType !== WireType.LengthDelimited) {
      this.skip(wireType);
      return;
    }
    const packed = this.sub();
    while (!packed.done) values.push(read(packed));
  }

  /** Appends a repeated string field's value (strings are never packed). */
  repeatedString(wireType: number, values: string[]): void {
    if (wireType === WireType.LengthDelimited) values.push(this.string());
    else this.skip(wireType);
  }

  /** Reads the message field by field: `fields[n]` reads field n given its wire type; other fields are skipped. */
  fields(readers: Record<number, (wireType: number) => void>): void {
    while (!this.done) {
      const tag = this.varint();
      const read = readers[tag >>> 3];
      if (read) read(tag & 7);
      else this.skip(tag & 7);
    }
  }

  skip(wireType: number): void {
    if (wireType === WireType.Varint) this.varint();
    else if (wireType === WireType.Fixed64) this.advance(8);
    else if (wireType === WireType.LengthDelimited) this.advance(this.varint());
    else if (wireType === WireType.Fixed32) this.advance(4);
    else throw new WireFormatError(`unsupported wire type ${wireType} at byte ${this.pos}`);
  }

  private advance(bytes: number): void {
    this.need(bytes);
    this.pos += bytes;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new WireFormatError(`message truncated at byte ${this.pos}`);
    return this.buffer[this.pos++];
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.end)
      throw new WireFormatError(`message truncated: ${bytes} bytes wanted at byte ${this.pos} of ${this.end}`);
  }
}

export const readDouble = (reader: WireReader): number => reader.double();
export const readZigzag = (reader: WireReader): Numeric => reader.zigzag();
export const readVarint = (reader: WireReader): number => reader.varint();

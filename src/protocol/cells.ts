/**
 * One value as the columnar and Qlik codecs carry it. A Qlik value has a text
 * part and/or a number part: most values have one, a formatted number (a
 * date shown as "2024-01-31") has both, a null has neither. Codecs encode and
 * decode cells; what a cell means for a field (a date, an integer...) is
 * decided by the field's type, outside the codecs.
 */

/**
 * A number part: a double, or an integer beyond 2^53 as a bigint (the wire's
 * sint64 carries 64 bits; a double would round it).
 */
export type Numeric = number | bigint;

/** A value with both parts, e.g. a number with its display text. */
export interface Dual {
  text: string;
  number: Numeric;
}

export type Cell = string | Numeric | Dual | null;

export function isDual(cell: Cell): cell is Dual {
  return typeof cell === "object" && cell !== null;
}

/** The cell for a decoded text part and number part, either possibly missing. */
export function cellOf(text: string | undefined, number: Numeric | undefined): Cell {
  if (text === undefined) return number ?? null;
  return number === undefined ? text : { text, number };
}

/** The text part of a cell, if it has one. */
export function textOf(cell: Cell): string | undefined {
  return typeof cell === "string" ? cell : isDual(cell) ? cell.text : undefined;
}

/** The number part of a cell, if it has one. */
export function numberOf(cell: Cell): Numeric | undefined {
  return typeof cell === "number" || typeof cell === "bigint" ? cell : isDual(cell) ? cell.number : undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Any JavaScript value as a cell: booleans as 1/0 (SQLite's convention),
 * integers beyond 2^53 as exact 64-bit integers (as text past 64 bits, so no
 * digit is lost), objects and arrays as JSON text, byte arrays as base64 text.
 */
export function toCell(value: unknown): Cell {
  switch (typeof value) {
    case "string":
    case "number":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      if (Number.isSafeInteger(Number(value))) return Number(value);
      return value >= INT64_MIN && value <= INT64_MAX ? value : value.toString();
    case "undefined":
      return null;
    default:
      if (value === null) return null;
      if (value instanceof Uint8Array)
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
      return JSON.stringify(value);
  }
}

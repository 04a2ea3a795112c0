/**
 * One value as the columnar and Qlik codecs carry it. A Qlik value has a text
 * part and/or a number part: most values have one, a formatted number (a
 * date shown as "2024-01-31") has both, a null has neither. Codecs encode and
 * decode cells; what a cell means for a field (a date, an integer...) is
 * decided by the field's type, outside the codecs.
 */

/** A value with both parts, e.g. a number with its display text. */
export interface Dual {
  text: string;
  number: number;
}

export type Cell = string | number | Dual | null;

export function isDual(cell: Cell): cell is Dual {
  return typeof cell === "object" && cell !== null;
}

/** The cell for a decoded text part and number part, either possibly missing. */
export function cellOf(text: string | undefined, number: number | undefined): Cell {
  if (text === undefined) return number ?? null;
  return number === undefined ? text : { text, number };
}

/** The text part of a cell, if it has one. */
export function textOf(cell: Cell): string | undefined {
  return typeof cell === "string" ? cell : isDual(cell) ? cell.text : undefined;
}

/** The number part of a cell, if it has one. */
export function numberOf(cell: Cell): number | undefined {
  return typeof cell === "number" ? cell : isDual(cell) ? cell.number : undefined;
}

/**
 * Any JavaScript value as a cell: booleans as 1/0 (SQLite's convention),
 * integers too large for a double as text (so no digit is lost), objects and
 * arrays as JSON text, byte arrays as base64 text.
 */
export function toCell(value: unknown): Cell {
  switch (typeof value) {
    case "string":
    case "number":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case "undefined":
      return null;
    default:
      if (value === null) return null;
      if (value instanceof Uint8Array)
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
      return JSON.stringify(value);
  }
}

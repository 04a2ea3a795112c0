/**
 * Column types from JSON values, and how a column widens when a value does
 * not fit it, the same on every store. Integers beyond 2^53 arrive as bigint
 * values or exact decimal text and are never rounded: a column that cannot
 * hold one exactly becomes `numeric` (or text where a store has no exact
 * numeric). Each store decides what fits its own column types (a bigint
 * column takes 64-bit integers; SQLite's INTEGER affinity also takes text);
 * this module only says what a value is and where two types meet.
 */
export { jsonText } from "../protocol/json.js";
import type { ColumnType } from "./types.js";

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
const SAFE = 2n ** 53n;

/** An integer literal: what exact decimal text for a big integer looks like. */
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
/** A decimal literal (JSON number syntax). */
const DECIMAL_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
/** ISO 8601 date-times as JSON Schema's `date-time` (RFC 3339), date-only allowed, space or T. */
const TIMESTAMP_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

export const isIntegerText = (text: string): boolean => INTEGER_TEXT.test(text);
export const isDecimalText = (text: string): boolean => DECIMAL_TEXT.test(text);

/** The two-digit number at `at` in text the timestamp pattern matched (its digits are ASCII). */
const twoDigits = (text: string, at: number): number => (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;

/**
 * Whether `text` is a real date-time every store parses the same way (month,
 * day and time in range). Runs once per timestamp value written: the fields
 * are read off their fixed places, not out of a match array.
 */
export function isTimestampText(text: string): boolean {
  if (!TIMESTAMP_TEXT.test(text)) return false;
  const y = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const m = twoDigits(text, 5);
  const d = twoDigits(text, 8);
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  // A time, when present, is HH:MM at 11 and 14, and :SS at 16 when seconds follow.
  if (text.length > 10 && (twoDigits(text, 11) > 23 || twoDigits(text, 14) > 59)) return false;
  if (text.charCodeAt(16) === 58 && twoDigits(text, 17) > 59) return false;
  // An offset, when given, follows the time (past index 16) as ±HH, ±HHMM or ±HH:MM; PostgreSQL refuses
  // one past ±15:59, and it means nothing anywhere.
  const sign = text.length > 16 ? Math.max(text.indexOf("+", 16), text.indexOf("-", 16)) : -1;
  if (sign > 0) {
    const minutes = text.charCodeAt(sign + 3) === 58 ? sign + 4 : sign + 3;
    if (twoDigits(text, sign + 1) > 15 || (minutes < text.length && twoDigits(text, minutes) > 59)) return false;
  }
  return d <= DAYS_IN_MONTH[m - 1] || (m === 2 && d === 29 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The instant a timestamp text names, in microseconds since 1970 UTC (no offset: UTC); undefined if it is none. */
export function timestampMicros(text: string): bigint | undefined {
  if (!isTimestampText(text)) return undefined;
  const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = "", zone = "Z"] =
    TIMESTAMP_TEXT.exec(text)!;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second));
  let offsetMinutes = 0;
  if (zone !== "Z" && zone !== "z") {
    const digits = zone.slice(1).replace(":", "");
    offsetMinutes = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0")) * (zone[0] === "-" ? -1 : 1);
  }
  const micros = BigInt(fraction.padEnd(6, "0").slice(0, 6) || "0");
  return (BigInt(date.getTime()) - BigInt(offsetMinutes * 60_000)) * 1000n + micros;
}

/** An integer value (number, bigint or integer text) as a bigint, or undefined if it is none. */
export function integerOf(value: unknown): bigint | undefined {
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? BigInt(value) : undefined;
    case "bigint":
      return value;
    case "string":
      return isIntegerText(value) ? BigInt(value) : undefined;
    default:
      return undefined;
  }
}

export const inInt64 = (n: bigint): boolean => n >= INT64_MIN && n <= INT64_MAX;
/** Whether a double holds this integer exactly. */
export const exactInDouble = (n: bigint): boolean => n >= -SAFE && n <= SAFE;

/** The column type a new field gets from its first value. */
export function typeOfValue(value: unknown): ColumnType {
  switch (typeof value) {
    case "number":
      return Number.isSafeInteger(value) ? "integer" : "real";
    case "bigint":
      return inInt64(value) ? "integer" : "numeric";
    case "boolean":
      return "boolean";
    case "string":
      return "text";
    case "object":
      return value === null ? "any" : "json";
    default:
      return "any";
  }
}

const NUMBERS: ColumnType[] = ["boolean", "integer", "numeric"];

/**
 * The type a column of type `column` becomes to also hold a value of type
 * `value`. Booleans are integers 1/0 (SQLite's convention); integers and
 * reals meet in numeric (exact for both); anything and JSON meet in JSON;
 * any other mix meets in text, which holds every value's text.
 */
export function widen(column: ColumnType, value: ColumnType): ColumnType {
  if (column === value || value === "any") return column;
  if (column === "any") return "any";
  const a = NUMBERS.indexOf(column);
  const b = NUMBERS.indexOf(value);
  if (a >= 0 && b >= 0) return NUMBERS[Math.max(a, b)];
  if ((column === "real" && b >= 0) || (value === "real" && a >= 0))
    return column === "boolean" || value === "boolean" ? "real" : "numeric";
  if (column === "json" || value === "json") return "json";
  return "text";
}

interface PropertySchema {
  type?: string | string[];
  format?: string;
  airbyte_type?: string;
  anyOf?: unknown;
  oneOf?: unknown;
}

/**
 * A JSON Schema property's column type. A union with null (`anyOf: [{type: string, format: date-time},
 * {type: null}]`, as Singer and Airbyte tools write a nullable value) is the one type besides null.
 */
export function columnTypeOfSchema(property: PropertySchema): ColumnType {
  const union = property.anyOf ?? property.oneOf;
  if (property.type === undefined && Array.isArray(union)) {
    const typed = (union as PropertySchema[]).filter((option) => option?.type !== "null");
    return typed.length === 1 && typeof typed[0] === "object" ? columnTypeOfSchema(typed[0]) : "any";
  }
  const types = Array.isArray(property.type) ? property.type.filter((t) => t !== "null") : [property.type];
  if (types.length !== 1) return "any";
  switch (types[0]) {
    case "integer":
      return "integer";
    case "boolean":
      return "boolean";
    case "number":
      return property.airbyte_type === "integer" ? "integer" : "real";
    case "string":
      if (property.airbyte_type === "big_integer") return "numeric";
      return property.format === "date-time" ? "timestamp" : "text";
    case "object":
    case "array":
      return "json";
    default:
      return "any";
  }
}

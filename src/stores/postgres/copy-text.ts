/**
 * Values as fields of COPY's text format, one encoder per column type. An
 * encoder refuses (Misfit) a value its column cannot hold exactly, so the
 * column widens before anything is sent. PostgreSQL cannot hold U+0000 in
 * text or JSON: it is stored as U+FFFD (docs/stores.md).
 */
import { Misfit } from "../base.js";
import type { ColumnType } from "../types.js";
import {
  exactInDouble,
  inInt64,
  integerOf,
  isDecimalText,
  isIntegerText,
  isTimestampText,
  jsonText,
} from "../values.js";

export const NULL_FIELD = "\\N";

const SPECIAL = /[\\\t\n\r\u0000]/;
const SPECIALS = /[\\\t\n\r\u0000]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\u0000": "\uFFFD" };

/** Text escaped for a COPY text field. */
export function copyText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c]) : text;
}

/** JSON text PostgreSQL's jsonb accepts (it refuses the \u0000 escape). */
function pgJson(value: unknown): string {
  const text = jsonText(value);
  return text.includes("\\u0000") ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1\\ufffd") : text;
}

/**
 * JSON text PostgreSQL accepts, escaped for a COPY text field. JSON text holds
 * no raw tab, newline, carriage return or NUL (JSON escapes them), so only
 * its backslashes need doubling.
 */
function copyJson(value: unknown): string {
  const text = pgJson(value);
  return text.includes("\\") ? text.replaceAll("\\", "\\\\") : text;
}

/** PostgreSQL numeric's limits: digits before the decimal point, and after it. */
const NUMERIC_WHOLE_DIGITS = 131072;
const NUMERIC_SCALE_DIGITS = 16383;
const DECIMAL_PARTS = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Whether decimal text is within numeric's range (PostgreSQL refuses the page otherwise, every time). */
function fitsNumeric(text: string): boolean {
  if (text.length <= NUMERIC_SCALE_DIGITS && !/[eE]/.test(text)) return true;
  const [, whole, fraction = "", exponentText = "0"] = DECIMAL_PARTS.exec(text) ?? [];
  if (whole === undefined) return false;
  const exponent = Number(exponentText);
  const first = (whole + fraction).search(/[1-9]/);
  if (first < 0) return true;
  return whole.length + exponent - first <= NUMERIC_WHOLE_DIGITS && fraction.length - exponent <= NUMERIC_SCALE_DIGITS;
}

/** Whether decimal text is within double precision's range (PostgreSQL refuses overflow, and underflow to zero). */
function fitsDouble(text: string): boolean {
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  return n !== 0 || !/[1-9]/.test(text.split(/[eE]/)[0]);
}

type Encoder = (value: unknown, column: number) => string;

const misfit = (column: number, needs: ColumnType, value: unknown): never => {
  throw new Misfit(column, needs, value);
};

/** What a value that fits nowhere narrower needs. */
function needs(value: unknown): ColumnType {
  if (typeof value === "object" && value !== null) return "json";
  if (typeof value === "bigint") return inInt64(value) ? "integer" : "numeric";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "real";
  if (typeof value === "boolean") return "boolean";
  return "text";
}

const encodeInteger: Encoder = (value, column) => {
  // The common case without a bigint conversion: every safe integer is in int64.
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  const n = integerOf(value);
  if (n === undefined) {
    if (typeof value === "number" || (typeof value === "string" && isDecimalText(value)))
      return misfit(column, "numeric", value);
    return misfit(column, needs(value), value);
  }
  return inInt64(n) ? String(value) : misfit(column, "numeric", value);
};

const encodeNumeric: Encoder = (value, column) => {
  switch (typeof value) {
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "1" : "0";
    case "string":
      return isDecimalText(value) && fitsNumeric(value) ? value : misfit(column, "text", value);
    default:
      return misfit(column, needs(value), value);
  }
};

const encodeReal: Encoder = (value, column) => {
  switch (typeof value) {
    case "number":
      return String(value);
    case "bigint":
      return exactInDouble(value) ? String(value) : misfit(column, "numeric", value);
    case "boolean":
      return value ? "1" : "0";
    case "string":
      if (isIntegerText(value)) return exactInDouble(BigInt(value)) ? value : misfit(column, "numeric", value);
      if (!isDecimalText(value)) return misfit(column, "text", value);
      return fitsDouble(value) ? value : misfit(column, "numeric", value);
    default:
      return misfit(column, needs(value), value);
  }
};

const encodeBoolean: Encoder = (value, column) =>
  typeof value === "boolean" ? (value ? "t" : "f") : misfit(column, needs(value), value);

const encodeTimestamp: Encoder = (value, column) =>
  typeof value === "string" && isTimestampText(value) ? value : misfit(column, needs(value), value);

const encodeText: Encoder = (value) =>
  typeof value === "string" ? copyText(value) : typeof value === "object" ? copyJson(value) : String(value);

const encodeJson: Encoder = (value) => copyJson(value);

export const ENCODERS: Record<ColumnType, Encoder> = {
  boolean: encodeBoolean,
  integer: encodeInteger,
  numeric: encodeNumeric,
  real: encodeReal,
  timestamp: encodeTimestamp,
  text: encodeText,
  json: encodeJson,
  any: encodeJson,
};

/** PostgreSQL's type for each column type. */
export const PG_TYPES: Record<ColumnType, string> = {
  boolean: "boolean",
  integer: "bigint",
  numeric: "numeric",
  real: "double precision",
  timestamp: "timestamptz",
  text: "text",
  json: "jsonb",
  any: "jsonb",
};

/** The column type of a PostgreSQL type (format_type's spelling). */
export function typeOfPg(type: string): ColumnType {
  switch (type) {
    case "boolean":
      return "boolean";
    case "bigint":
    case "integer":
    case "smallint":
      return "integer";
    case "numeric":
      return "numeric";
    case "double precision":
    case "real":
      return "real";
    case "timestamp with time zone":
      return "timestamp";
    case "jsonb":
    case "json":
      return "json";
    default:
      return type.startsWith("numeric") ? "numeric" : "text";
  }
}

/** The expression that converts a column to its widened type. */
export function widenUsing(column: string, from: ColumnType, to: ColumnType): string {
  if (to === "json" || to === "any") return `to_jsonb(${column})`;
  if (from === "boolean" && to !== "text") return `${column}::int::${PG_TYPES[to]}`;
  return `${column}::${PG_TYPES[to]}`;
}

/**
 * What a GetData header's field info means for Sluice: the JSON Schema
 * property of each field (the engine makes the table's typed columns from
 * it) and how a decoded cell becomes the value stored.
 *
 *   FieldAttributes.Type                     column   value
 *   INTEGER                                  integer  the number part
 *   REAL, FIX, MONEY, INTERVAL               real     the number part
 *   TEXT                                     text     the text part
 *   DATE / TIMESTAMP / TIME                  text     ISO 8601: "2024-01-31" / "2024-01-31T12:00:00.000Z" / "12:00:00"
 *   UNKNOWN                                  untyped  text, or the number (integers stored as integers)
 * Dates and times arrive as ISO text (SemanticType ISO_8601, kept as sent),
 * as Unix seconds (UNIX_SECONDS_SINCE_1970_UTC) or as Qlik serial numbers,
 * fractional days since 1899-12-30 (DEFAULT). A value without the part its
 * type calls for is kept as it came; a null stays null.
 */
import { type Cell, isDual, numberOf, textOf } from "../../protocol/cells.js";
import { FieldAttrType, type FieldInfo, SemanticType } from "../../protocol/gen/qlik/connect/data_connector.js";

type Kind = "integer" | "number" | "text" | "date" | "timestamp" | "time" | "any";

export interface SchemaProperty {
  type?: string;
  format?: string;
}

export interface FieldReader {
  /** The column name: the field's, made unique within the table. */
  name: string;
  property: SchemaProperty;
  read(cell: Cell): unknown;
}

const properties: Record<Kind, SchemaProperty> = {
  integer: { type: "integer" },
  number: { type: "number" },
  text: { type: "string" },
  date: { type: "string", format: "date" },
  timestamp: { type: "string", format: "date-time" },
  time: { type: "string", format: "time" },
  any: {},
};

/** Days from Qlik's day 0 (1899-12-30) to the Unix epoch. */
const UNIX_EPOCH_SERIAL = 25569;
const MS_PER_DAY = 86_400_000;

export function fieldReaders(fields: FieldInfo[]): FieldReader[] {
  const names = uniqueNames(fields.map((f) => f.name));
  return fields.map((field, i) => {
    const kind = kindOf(field);
    return { name: names[i], property: properties[kind], read: readerFor(kind, field.semanticType) };
  });
}

/** Fields tagged "key" (Sluice's server tags a table's primary key so). */
export function keyFields(fields: FieldInfo[], readers: FieldReader[]): string[] {
  return readers.filter((_, i) => fields[i].tags.some((tag) => tag.toLowerCase() === "key")).map((r) => r.name);
}

function kindOf(field: FieldInfo): Kind {
  switch (field.fieldAttributes?.Type ?? FieldAttrType.UNKNOWN) {
    case FieldAttrType.INTEGER:
      return "integer";
    case FieldAttrType.REAL:
    case FieldAttrType.FIX:
    case FieldAttrType.MONEY:
    case FieldAttrType.INTERVAL:
      return "number";
    case FieldAttrType.TEXT:
      return "text";
    case FieldAttrType.DATE:
      return "date";
    case FieldAttrType.TIMESTAMP:
      return "timestamp";
    case FieldAttrType.TIME:
      return "time";
    default:
      return field.semanticType === SemanticType.DEFAULT ? "any" : "timestamp";
  }
}

function readerFor(kind: Kind, semantic: SemanticType): (cell: Cell) => unknown {
  switch (kind) {
    case "integer":
    case "number":
      return (cell) => numberOf(cell) ?? cell;
    case "text":
      return (cell) => textOf(cell) ?? cell;
    case "any":
      return readUntyped;
    default:
      return temporalReader(kind, semantic);
  }
}

/** Untyped columns keep each value's own type; integers go to SQLite as integers, not reals (bigints stay exact). */
function readUntyped(cell: Cell): unknown {
  if (isDual(cell)) return cell.text;
  return typeof cell === "number" && Number.isSafeInteger(cell) ? BigInt(cell) : cell;
}

function temporalReader(kind: "date" | "timestamp" | "time", semantic: SemanticType): (cell: Cell) => unknown {
  if (semantic === SemanticType.ISO_8601) return (cell) => textOf(cell) ?? cell;
  const toMs =
    semantic === SemanticType.UNIX_SECONDS_SINCE_1970_UTC
      ? (n: number) => n * 1000
      : (n: number) => (n - UNIX_EPOCH_SERIAL) * MS_PER_DAY;
  return (cell) => {
    const number = numberOf(cell);
    if (number === undefined) return cell;
    const date = new Date(Math.round(toMs(Number(number))));
    return Number.isNaN(date.getTime()) ? number : formatTemporal(kind, date);
  };
}

function formatTemporal(kind: "date" | "timestamp" | "time", date: Date): string {
  const iso = date.toISOString();
  if (kind === "date") return iso.slice(0, 10);
  if (kind === "time") return iso.slice(11, iso.endsWith(".000Z") ? 19 : 23);
  return iso;
}

/** "a", "a" → "a", "a_2": a table cannot have two columns of one name. */
function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let unique = name || "field";
    for (let n = 2; seen.has(unique.toLowerCase()); n++) unique = `${name || "field"}_${n}`;
    seen.add(unique.toLowerCase());
    return unique;
  });
}

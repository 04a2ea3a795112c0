/**
 * The header's field info for what Sluice serves: from SQLite declared column
 * types (the store) and from JSON Schema properties (live sources). Dates and
 * times travel as ISO 8601 text, which is how Sluice stores them; a table's
 * primary-key fields are tagged "key", which Sluice's own client turns back
 * into the key it upserts by.
 */
import { FieldAttrType, type FieldInfo, SemanticType } from "../../protocol/gen/qlik/connect/data_connector.js";

function field(name: string, type: FieldAttrType, key: boolean, semanticType = SemanticType.DEFAULT): FieldInfo {
  return { name, semanticType, fieldAttributes: { Type: type }, tags: key ? ["key"] : [] };
}

function temporal(name: string, type: FieldAttrType, key: boolean): FieldInfo {
  return field(name, type, key, SemanticType.ISO_8601);
}

/**
 * SQLite's affinity rules (which also read PostgreSQL's and DuckDB's type
 * names), after checking for dates and times (which SQLite has no type for);
 * JSON (jsonb, DuckDB's JSON) is text, as objects are everywhere in Qlik. NUMERIC and DECIMAL columns, and untyped ones, may hold
 * integers and reals alike: UNKNOWN lets each value keep its own type.
 */
export function fieldFromDeclaredType(name: string, declared: string | null, key: boolean): FieldInfo {
  const type = (declared ?? "").toUpperCase();
  if (/DATETIME|TIMESTAMP/.test(type)) return temporal(name, FieldAttrType.TIMESTAMP, key);
  if (/DATE/.test(type)) return temporal(name, FieldAttrType.DATE, key);
  if (/TIME/.test(type)) return temporal(name, FieldAttrType.TIME, key);
  if (/INT|BOOL/.test(type)) return field(name, FieldAttrType.INTEGER, key);
  if (/CHAR|CLOB|TEXT|JSON/.test(type)) return field(name, FieldAttrType.TEXT, key);
  if (/REAL|FLOA|DOUB/.test(type)) return field(name, FieldAttrType.REAL, key);
  return field(name, FieldAttrType.UNKNOWN, key);
}

export interface SchemaProperty {
  type?: string | string[];
  format?: string;
}

/** A stream's JSON Schema property; objects and arrays are sent as JSON text. */
export function fieldFromSchema(name: string, property: SchemaProperty, key: boolean): FieldInfo {
  const types = (Array.isArray(property.type) ? property.type : [property.type]).filter((t) => t !== "null");
  switch (types.length === 1 ? types[0] : undefined) {
    case "integer":
    case "boolean":
      return field(name, FieldAttrType.INTEGER, key);
    case "number":
      return field(name, FieldAttrType.REAL, key);
    case "object":
    case "array":
      return field(name, FieldAttrType.TEXT, key);
    case "string":
      if (property.format === "date") return temporal(name, FieldAttrType.DATE, key);
      if (property.format === "date-time") return temporal(name, FieldAttrType.TIMESTAMP, key);
      if (property.format === "time") return temporal(name, FieldAttrType.TIME, key);
      return field(name, FieldAttrType.TEXT, key);
    default:
      return field(name, FieldAttrType.UNKNOWN, key);
  }
}

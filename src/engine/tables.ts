/** How streams map to tables: names and typed columns from JSON Schemas. */
import type { StreamDescriptor } from "../drivers/types.js";
import type { ColumnType, TableSpec } from "../stores/types.js";

/** Table names are plain SQL identifiers so users can query them unquoted. */
export function tableName(prefix: string, stream: string): string {
  const name = `${prefix}${stream}`
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return /^[a-z_]/.test(name) ? name : `t_${name}`;
}

/** `files-example` → "files_example_" as the default table prefix. */
export function defaultTablePrefix(connector: string): string {
  return `${tableName("", connector)}_`;
}

function columnType(property: { type?: string | string[]; format?: string }): ColumnType {
  const types = Array.isArray(property.type) ? property.type.filter((t) => t !== "null") : [property.type];
  switch (types[0]) {
    case "integer":
    case "boolean":
      return "integer";
    case "number":
      return "real";
    case "string":
      return "text";
    case "object":
    case "array":
      return "json";
    default:
      return "any";
  }
}

export function tableSpec(connector: string, prefix: string, stream: StreamDescriptor): TableSpec {
  const properties = stream.jsonSchema.properties ?? {};
  return {
    connector,
    stream: stream.name,
    table: tableName(prefix, stream.name),
    columns: Object.entries(properties).map(([name, property]) => ({ name, type: columnType(property ?? {}) })),
    primaryKey: stream.primaryKey,
    replace: stream.replaceOnSuccess,
  };
}

/** How streams map to tables: the names asked for and typed columns from JSON Schemas (the store resolves clashes). */
import type { StreamDescriptor } from "../drivers/types.js";
import { defaultTablePrefix, tableCandidate } from "../stores/naming.js";
import type { TableSpec } from "../stores/types.js";
import { columnTypeOfSchema } from "../stores/values.js";

export { defaultTablePrefix };

export function tableSpec(connector: string, prefix: string, stream: StreamDescriptor): TableSpec {
  const properties = stream.jsonSchema.properties ?? {};
  return {
    connector,
    stream: stream.name,
    table: tableCandidate(prefix, stream.name),
    columns: Object.entries(properties).map(([name, property]) => ({
      name,
      type: columnTypeOfSchema(property ?? {}),
    })),
    primaryKey: stream.primaryKey,
    replace: stream.replaceOnSuccess,
  };
}

/**
 * Code Climate record types as Sluice streams: one table per `_type`, keyed
 * by `id` (or by `self` for the types that have no id), created when the
 * first record of that type arrives.
 */
import { loadRecordSchemas, type RecordSchema } from "../../sdk/codeclimate/record-validator.js";
import type { StreamDescriptor } from "../types.js";

/** `PullRequestComment` → `pull_request_comment`. */
export function streamNameOf(recordType: string): string {
  return recordType.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

function keyOf(schema: RecordSchema): string[] {
  if (schema.required.includes("id")) return ["id"];
  if (schema.required.includes("self")) return ["self"];
  return [];
}

export function recordStreams(): StreamDescriptor[] {
  return [...loadRecordSchemas().values()].map((schema) => ({
    name: streamNameOf(schema.title),
    jsonSchema: { properties: { ...schema.properties, _extracted_at: { type: "string", format: "date-time" } } },
    primaryKey: keyOf(schema),
    syncModes: ["incremental"],
    createTableOnFirstRecord: true,
  }));
}

/**
 * OpenCDC records ↔ Sluice rows. Into the store: one table per collection
 * (metadata `opencdc.collection`), keyed by the record's key (`_key`: a
 * structured key as JSON, a raw one as text); a structured payload's fields
 * become columns, a raw payload goes to `_payload`; operation, position and
 * metadata are kept. Create, update and snapshot upsert; delete deletes by
 * key. Out of Sluice: a row becomes a create (or snapshot) record with the
 * stream as its collection and the primary key fields as its key.
 */
import { Operation, type Data, type Record as OpenCdcRecord } from "../../protocol/gen/opencdc/v1/opencdc.js";
import type { Row } from "../types.js";

export type { OpenCdcRecord };
export { Operation };

export const COLLECTION_KEY = "opencdc.collection";
export const READ_AT_KEY = "opencdc.readAt";
export const KEY_COLUMN = "_key";
export const DEFAULT_STREAM = "records";

const OPERATION_NAMES: Record<number, string> = {
  [Operation.OPERATION_CREATE]: "create",
  [Operation.OPERATION_UPDATE]: "update",
  [Operation.OPERATION_DELETE]: "delete",
  [Operation.OPERATION_SNAPSHOT]: "snapshot",
};

export const operationName = (operation: Operation): string => OPERATION_NAMES[operation] ?? "unspecified";

/** Bytes as text when they are UTF-8, else base64 (positions and raw data are opaque). */
export function bytesText(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  return Buffer.from(text, "utf8").equals(bytes) ? text : `base64:${bytes.toString("base64")}`;
}

/** A key as text; a structured key's fields sorted, so the same key sent in another field order is the same row. */
function dataText(data: Data | undefined): string {
  if (!data?.data) return "";
  if (data.data.$case === "rawData") return bytesText(data.data.value);
  const fields = data.data.value ?? {};
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(fields)
        .sort()
        .map((name) => [name, fields[name]]),
    ),
  );
}

export interface StoreChange {
  stream: string;
  row: Row;
  delete: boolean;
}

/** The columns a record's own parts fill beside its payload's fields. */
const RECORD_COLUMNS = new Set([KEY_COLUMN, "_payload", "_operation", "_position", "_metadata"]);

/** Payload fields named like the record's own columns are kept as `field_<name>` (as the store keeps `_sluice_*` fields). */
function payloadFields(fields: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(fields).some((name) => RECORD_COLUMNS.has(name))) return fields;
  return Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [RECORD_COLUMNS.has(name) ? `field_${name}` : name, value]),
  );
}

export function recordToChange(record: OpenCdcRecord): StoreChange {
  const stream = record.metadata[COLLECTION_KEY] || DEFAULT_STREAM;
  const payload = record.payload?.after?.data;
  const row: Row = {
    ...(payload?.$case === "structuredData" ? payloadFields(payload.value ?? {}) : {}),
    [KEY_COLUMN]: dataText(record.key),
    ...(payload?.$case === "rawData" ? { _payload: bytesText(payload.value) } : {}),
    _operation: operationName(record.operation),
    _position: bytesText(record.position),
    _metadata: record.metadata,
  };
  return { stream, row, delete: record.operation === Operation.OPERATION_DELETE };
}

/** A value protobuf's Struct can carry. */
function structValue(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return value.toString("base64");
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(structValue);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, structValue(v)]),
    );
  return value;
}

export function rowToRecord(
  row: Row,
  stream: string,
  primaryKey: string[],
  position: Buffer,
  operation = Operation.OPERATION_CREATE,
): OpenCdcRecord {
  const after = structValue(row) as Record<string, unknown>;
  const key: Data = primaryKey.length
    ? {
        data: {
          $case: "structuredData",
          value: Object.fromEntries(primaryKey.map((field) => [field, after[field] ?? null])),
        },
      }
    : { data: { $case: "rawData", value: Buffer.alloc(0) } };
  return {
    position,
    operation,
    metadata: { [COLLECTION_KEY]: stream, [READ_AT_KEY]: String(BigInt(Date.now()) * 1_000_000n) },
    key,
    payload: { before: undefined, after: { data: { $case: "structuredData", value: after } } },
  };
}

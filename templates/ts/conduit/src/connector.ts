/**
 * The {{name}} Conduit connector: a source and a destination. Edit the
 * specification (parameters with their validations), the source (`open` at a
 * position, `read` batches, `ack`) and the destination (`write`, one answer
 * per record: undefined when written, else why not).
 *
 * As generated the source counts records 1..count (position = the record's
 * number, so it resumes after the last acked one) and then waits for more, as
 * Conduit sources do; the destination appends each record as a JSON line to
 * `path`.
 */
import { appendFileSync } from "node:fs";
import {
  type ConduitConnector,
  type ConduitDestination,
  type ConduitSource,
  type OpenCdcRecord,
  Operation,
} from "sluice/conduit";

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** The record numbered `n`: replace with what your system holds. */
export function recordAt(n: number): OpenCdcRecord {
  return {
    position: Buffer.from(String(n)),
    operation: Operation.OPERATION_CREATE,
    metadata: { "opencdc.collection": "items" },
    key: { data: { $case: "structuredData", value: { id: n } } },
    payload: { before: undefined, after: { data: { $case: "structuredData", value: { id: n, name: `item ${n}` } } } },
  };
}

export function source(): ConduitSource {
  let count = 0;
  let batch = 10;
  let next = 1;
  return {
    // The SDK checks the config against the specification and fills in the defaults first.
    async configure(config) {
      count = Number(config.count);
      batch = Number(config.batch);
    },
    async open(position) {
      next = position.length ? Number(position.toString()) + 1 : 1;
    },
    async read(signal) {
      if (next > count) {
        await pause(100, signal);
        return [];
      }
      const records: OpenCdcRecord[] = [];
      for (; next <= count && records.length < batch; next++) records.push(recordAt(next));
      return records;
    },
    async ack() {},
    async teardown() {},
  };
}

/** The JSON a record carries, as the destination writes it. */
export function payloadOf(record: OpenCdcRecord): unknown {
  const after = record.payload?.after?.data;
  if (after?.$case === "structuredData") return after.value;
  return after?.$case === "rawData" ? after.value.toString() : null;
}

export function destination(): ConduitDestination {
  let path = "";
  return {
    async configure(config) {
      path = config.path;
    },
    async open() {},
    async write(records) {
      return records.map((record) => {
        try {
          appendFileSync(path, `${JSON.stringify({ position: record.position.toString(), payload: payloadOf(record) })}\n`);
          return undefined;
        } catch (error) {
          return `record ${record.position.toString()}: ${(error as Error).message}`;
        }
      });
    },
    async teardown() {},
  };
}

export const connector: ConduitConnector = {
  specification: {
    name: "{{name}}",
    version: "v0.1.0",
    author: "",
    summary: "{{name}}: a Conduit source and destination in TypeScript",
    sourceParams: {
      count: {
        type: "int",
        default: "100",
        description: "how many records there are",
        validations: [{ type: "greater-than", value: "-1" }],
      },
      batch: {
        type: "int",
        default: "10",
        description: "records per batch",
        validations: [{ type: "greater-than", value: "0" }],
      },
    },
    destinationParams: {
      path: { type: "string", description: "file to append records to", validations: [{ type: "required" }] },
    },
  },
  source,
  destination,
};

/**
 * Example Conduit connector in TypeScript, on Sluice's Conduit SDK:
 *   - source "sequence": records 1..count (key {id}, payload {id, label};
 *     record `rejectAt` also carries `reject: true`),
 *     position = the record's number, so it resumes after the last acked one;
 *     like Conduit's generator, it waits once it has sent them all.
 *   - destination "jsonl": appends each record as a JSON line to `path`; a
 *     record whose payload has `"reject": true` is refused with an error ack.
 * Standalone: `node examples/ts/dist/conduit/main.js` (a go-plugin process
 * Conduit or Sluice can run). Built-in: `sluice pipeline run --from
 * builtin:examples/ts/dist/conduit/main.js …` imports `connector` instead.
 */
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import {
  type ConduitConnector,
  type ConduitDestination,
  type ConduitSource,
  type OpenCdcRecord,
  Operation,
  serveConduitConnector,
} from "sluice/conduit";

// Waits ms, or less when the read is aborted; the abort listener goes with the
// timer, so an idle source polling every 100 ms does not pile up listeners.
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

function sequence(): ConduitSource {
  let count = 0;
  let batch = 10;
  let label = "item";
  let rejectAt = 0;
  let next = 1;
  return {
    async configure(config) {
      count = Number(config.count);
      batch = Number(config.batch ?? 10);
      label = config.label ?? label;
      rejectAt = Number(config.rejectAt ?? 0);
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
      for (; next <= count && records.length < batch; next++) {
        records.push({
          position: Buffer.from(String(next)),
          operation: Operation.OPERATION_CREATE,
          metadata: { "opencdc.collection": "sequence" },
          key: { data: { $case: "structuredData", value: { id: next } } },
          payload: {
            before: undefined,
            after: {
              data: {
                $case: "structuredData",
                value: { id: next, label: `${label} ${next}`, ...(next === rejectAt ? { reject: true } : {}) },
              },
            },
          },
        });
      }
      return records;
    },
    async ack() {},
    async teardown() {},
  };
}

function jsonl(): ConduitDestination {
  let path = "";
  return {
    async configure(config) {
      path = config.path;
    },
    async open() {},
    async write(records) {
      return records.map((record) => {
        const after = record.payload?.after?.data;
        const payload =
          after?.$case === "structuredData" ? after.value : after?.$case === "rawData" ? after.value.toString() : null;
        if (payload && typeof payload === "object" && (payload as { reject?: boolean }).reject)
          return `record ${record.position.toString()} asked to be rejected`;
        appendFileSync(
          path,
          JSON.stringify({ position: record.position.toString(), operation: record.operation, payload }) + "\n",
        );
        return undefined;
      });
    },
    async teardown() {},
  };
}

export const connector: ConduitConnector = {
  specification: {
    name: "sluice-example",
    version: "v0.1.0",
    author: "Sluice",
    summary: "A counting source and a JSON-lines destination, in TypeScript",
    sourceParams: {
      count: {
        type: "int",
        description: "how many records",
        validations: [{ type: "required" }, { type: "greater-than", value: "-1" }],
      },
      batch: { type: "int", default: "10", description: "records per batch" },
      label: { type: "string", default: "item", description: "label prefix" },
      rejectAt: {
        type: "int",
        default: "0",
        description: "mark this record for the jsonl destination to reject (tests)",
      },
    },
    destinationParams: {
      path: { type: "string", description: "file to append records to", validations: [{ type: "required" }] },
    },
  },
  source: sequence,
  destination: jsonl,
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await serveConduitConnector(connector);

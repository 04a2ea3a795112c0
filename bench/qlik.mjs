// Qlik benchmark: the same N rows (the generator's user shape: integers, a
// real, short and unique texts, an ISO timestamp, a boolean, a nullable
// integer) as four encodings, each from row objects to row objects:
//   json           Sluice pages of 1000 rows, one JSON array each
//   columnar       Sluice columnar pages of 1000 rows (the shared column codec)
//   qlikColumnar   Qlik revision A DataChunks, cut at ~64 KB
//   qlikBuckets    qlik.connect DataChunks (buckets and codes), cut at ~64 KB
// For each: encode and decode alone (in this process), and the whole way over
// real gRPC on 127.0.0.1 with the server in a child process (backpressure
// included). Prints one JSON object. BENCH_RECORDS sets N (default 1M).
import { credentials, Server, ServerCredentials, status } from "@grpc/grpc-js";
import { fork } from "node:child_process";
import { once } from "node:events";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { fieldReaders } from "../dist/drivers/qlik/fields.js";
import { toCell } from "../dist/protocol/cells.js";
import { decodeColumns, encodeColumns } from "../dist/protocol/columns.js";
import * as connect from "../dist/protocol/gen/qlik/connect/data_connector.js";
import * as revisionA from "../dist/protocol/gen/qlik/data_connector.js";
import * as sluice from "../dist/protocol/gen/sluice/v1/connector.js";
import { bucketChunks, columnarChunks } from "../dist/protocol/qlik/chunks.js";
import { ConnectClient, RevisionAClient } from "../dist/protocol/qlik/clients.js";
import { fieldFromSchema } from "../dist/server/qlik/fields.js";

const ROWS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const PAGE_ROWS = 1000;
const CHUNK_BYTES = 64 * 1024;
const SCHEMA = {
  id: { type: "integer" },
  name: { type: "string" },
  email: { type: "string" },
  age: { type: "integer" },
  score: { type: "number" },
  active: { type: "boolean" },
  created_at: { type: "string", format: "date-time" },
  referrer: { type: ["integer", "null"] },
};
const NAMES = Object.keys(SCHEMA);
const FIELDS = NAMES.map((name) => fieldFromSchema(name, SCHEMA[name], name === "id"));
const EPOCH = Date.UTC(2020, 0, 1);

function makeRows(count) {
  const rows = new Array(count);
  for (let id = 0; id < count; id++) {
    rows[id] = {
      id,
      name: ["Ada", "Grace", "Alan", "Edsger", "Barbara"][id % 5] + " " + ["Lovelace", "Hopper", "Turing"][id % 3],
      email: `user${id}@example.com`,
      age: 18 + (id % 60),
      score: (id % 1000) / 10,
      active: id % 4 !== 0,
      created_at: new Date(EPOCH + id * 60_000).toISOString(),
      referrer: id % 3 === 0 ? null : id * 7,
    };
  }
  return rows;
}

const toCells = (row) => NAMES.map((name) => toCell(row[name]));

/** Each encoding: messages from rows (with their wire form), and rows back from messages. */
function sluicePages(records) {
  return {
    *messages(rows) {
      for (let i = 0; i < rows.length; i += PAGE_ROWS) {
        const page = rows.slice(i, i + PAGE_ROWS);
        yield {
          message: {
            $case: "page",
            value: { stream: "users", records: records(page), checkpoint: undefined, estimatedTotal: 0 },
          },
        };
      }
    },
    encode: (message) => sluice.ReadResponse.encode(message).finish(),
    decode: (bytes) => sluice.ReadResponse.decode(bytes),
    decoder() {
      return {
        push(response) {
          const records = response.message.value.records;
          return records.$case === "json"
            ? JSON.parse(records.value.array.toString("utf8"))
            : decodeColumns(records.value);
        },
        finish: () => [],
      };
    },
  };
}

function qlikChunks(codec, wire) {
  // Decoded as Sluice's Qlik client does, with the codec's own deserializer.
  return {
    *messages(rows) {
      const encoder = codec.encoder(FIELDS.length);
      for (const row of rows) {
        encoder.addRow(toCells(row));
        if (encoder.size >= CHUNK_BYTES) yield encoder.take();
      }
      if (encoder.rowCount) yield encoder.take();
    },
    encode: (chunk) => wire.encode(chunk).finish(),
    decode: codec.deserialize,
    decoder() {
      const readers = fieldReaders(FIELDS);
      const decoder = codec.decoder(NAMES);
      const toRow = (cells) => {
        const row = {};
        for (let i = 0; i < readers.length; i++) row[readers[i].name] = readers[i].read(cells[i]);
        return row;
      };
      return { push: (chunk) => decoder.push(chunk).map(toRow), finish: () => decoder.finish().map(toRow) };
    },
  };
}

const ENCODINGS = {
  json: sluicePages((page) => ({ $case: "json", value: { array: Buffer.from(JSON.stringify(page)) } })),
  columnar: sluicePages((page) => ({ $case: "columns", value: encodeColumns(page, NAMES) })),
  qlikColumnar: qlikChunks(columnarChunks, revisionA.DataChunk),
  qlikBuckets: qlikChunks(bucketChunks, connect.DataChunk),
};

/** Encode alone, then decode alone, on this process's copy of the rows. */
function stages(name, rows) {
  const encoding = ENCODINGS[name];
  let started = performance.now();
  const encoded = [];
  for (const message of encoding.messages(rows)) encoded.push(encoding.encode(message));
  const encodeSeconds = (performance.now() - started) / 1000;
  const bytes = encoded.reduce((sum, b) => sum + b.length, 0);
  const decode = encoding.decoder();
  started = performance.now();
  let decoded = 0;
  for (const buffer of encoded) decoded += decode.push(encoding.decode(buffer)).length;
  decoded += decode.finish().length;
  const decodeSeconds = (performance.now() - started) / 1000;
  if (decoded !== rows.length) throw new Error(`${name}: decoded ${decoded} of ${rows.length} rows`);
  return {
    encodeRowsPerSecond: Math.round(rows.length / encodeSeconds),
    decodeRowsPerSecond: Math.round(rows.length / decodeSeconds),
    messages: encoded.length,
    avgMessageBytes: Math.round(bytes / encoded.length),
    bytesPerRow: +(bytes / rows.length).toFixed(1),
  };
}

// ---- the gRPC server (child process) ----

async function serve() {
  const rows = makeRows(ROWS);
  const stream = (name) => async (call) => {
    for (const message of ENCODINGS[name].messages(rows)) {
      if (call.cancelled) return;
      if (!call.write(message)) await once(call, "drain");
    }
    call.end();
  };
  const unimplemented = (_call, callback) => callback({ code: status.UNIMPLEMENTED });
  const server = new Server();
  server.addService(sluice.ConnectorService, {
    spec: unimplemented,
    check: unimplemented,
    discover: unimplemented,
    read: (call) => stream(call.request.options)(call),
  });
  server.addService(revisionA.ConnectorService, { getData: stream("qlikColumnar") });
  server.addService(connect.ConnectorService, { getData: stream("qlikBuckets"), getMetaInfo: unimplemented });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  process.send({ port });
  process.on("message", (message) => {
    if (message === "rss") process.send({ peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) });
    else server.forceShutdown();
  });
}

// ---- the client (this process) ----

function clients(address) {
  const insecure = credentials.createInsecure();
  const options = { "grpc.max_receive_message_length": -1 };
  const native = new sluice.ConnectorClient(address, insecure, options);
  const a = new RevisionAClient(address, insecure, options);
  const c = new ConnectClient(address, insecure, options);
  return {
    json: () => native.read({ options: "json", streams: [], state: "" }),
    columnar: () => native.read({ options: "columnar", streams: [], state: "" }),
    qlikColumnar: () => a.getData({ connection: undefined, sessionInfo: undefined, parameters: undefined }),
    qlikBuckets: () => c.getData({ connection: undefined, sessionInfo: undefined, parameters: undefined }),
    close: () => {
      for (const client of [native, a, c]) client.close();
    },
  };
}

async function overGrpc(name, open) {
  const decode = ENCODINGS[name].decoder();
  const started = performance.now();
  let rows = 0;
  for await (const message of open()) rows += decode.push(message).length;
  rows += decode.finish().length;
  const seconds = (performance.now() - started) / 1000;
  if (rows !== ROWS) throw new Error(`${name} over gRPC: ${rows} of ${ROWS} rows`);
  return Math.round(ROWS / seconds);
}

async function main() {
  const server = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, QLIK_BENCH_ROLE: "server" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  try {
    const [{ port }] = await once(server, "message");
    const rows = makeRows(ROWS);
    const results = {};
    for (const name of Object.keys(ENCODINGS)) results[name] = stages(name, rows);
    const open = clients(`127.0.0.1:${port}`);
    for (const name of Object.keys(ENCODINGS)) {
      // Best of two: the machine is shared.
      results[name] = {
        grpcRowsPerSecond: Math.max(await overGrpc(name, open[name]), await overGrpc(name, open[name])),
        ...results[name],
      };
    }
    open.close();
    server.send("rss");
    const [{ peakRssMiB: serverPeakRssMiB }] = await once(server, "message");
    console.log(
      JSON.stringify({
        bench: "qlik",
        rows: ROWS,
        ...results,
        clientPeakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        serverPeakRssMiB,
        loadAverage1m: +loadavg()[0].toFixed(2),
      }),
    );
  } finally {
    server.send("stop");
    server.disconnect();
  }
}

await (process.env.QLIK_BENCH_ROLE === "server" ? serve() : main());

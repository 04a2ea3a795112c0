// Every parser that takes outside input, as a fuzz target: bytes in, the
// parsed value or a SluiceError out (engine.mjs checks the error). Seeds are
// small valid inputs of each format (the fuzzer finds the rest), dictionaries
// the format's own words.
import { Readable } from "node:stream";
import { parseManifest } from "../dist/registry/manifest.js";
import { parseHandshakeLine } from "../dist/plugin/handshake.js";
import { parseLogLine } from "../dist/plugin/hclog.js";
import { parseStatement } from "../dist/server/qlik/statement.js";
import { optionsWithConnection } from "../dist/server/qlik/connection-config.js";
import { decodeReadResponse } from "../dist/protocol/read-response.js";
import { decodeColumns, encodeColumns } from "../dist/protocol/columns.js";
import { bucketChunks, columnarChunks } from "../dist/protocol/qlik/chunks.js";
import { DataChunk as BucketDataChunk } from "../dist/protocol/gen/qlik/connect/data_connector.js";
import { DataChunk as ColumnarDataChunk } from "../dist/protocol/gen/qlik/data_connector.js";
import { ReadResponse } from "../dist/protocol/gen/sluice/v1/connector.js";
import { Metadata } from "@grpc/grpc-js";
import { GETDATA_HEADER, readHeader } from "../dist/protocol/qlik/header.js";
import { fieldReaders, keyFields } from "../dist/drivers/qlik/fields.js";
import { GetDataResponse } from "../dist/protocol/gen/qlik/connect/data_connector.js";
import { Source_Run_Response } from "../dist/protocol/gen/connector/v2/source.js";
import { recordToChange } from "../dist/drivers/conduit/opencdc.js";
import { jsonLines } from "../dist/drivers/subprocess/json-lines.js";
import { airbyteMessageProblem } from "../dist/drivers/airbyte/protocol.js";
import { singerMessageProblem } from "../dist/drivers/singer/messages.js";
import { LineSplitter } from "../dist/process/lines.js";

const text = (input) => input.toString("utf8");
/** Keys every JavaScript object answers to: a parser that looks a key up in a plain object must not take them for its own. */
const OBJECT_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty"];

/** Rows of a few kinds of value, encoded by `codec` (the generated encoders give the wire bytes): a valid chunk to start from. */
function chunkSeed(codec) {
  const encoder = codec.encoder(3);
  encoder.addRow(["a", 1, { text: "2", number: 2.5 }]);
  encoder.addRow(["", 2n ** 60n, null]);
  return codec.encoder === bucketChunks.encoder
    ? Buffer.from(bucketSeedBytes(encoder.take()))
    : Buffer.from(columnarSeedBytes(encoder.take()));
}

const bucketSeedBytes = (chunk) => BucketDataChunk.encode(chunk).finish();
const columnarSeedBytes = (chunk) => ColumnarDataChunk.encode(chunk).finish();

/** Decodes a chunk and feeds it to its decoder, as a Qlik client reads a GetData stream. */
function chunkTarget(name, codec) {
  return {
    name,
    seeds: [chunkSeed(codec)],
    run(input) {
      const decoder = codec.decoder(["a", "b", "c"]);
      decoder.push(codec.deserialize(input));
      decoder.finish();
    },
  };
}

/** Splits the input into chunks at the places its first byte says, as a pipe delivers them. */
function chunked(input) {
  const step = 1 + (input[0] ?? 0);
  const chunks = [];
  for (let at = 1; at < input.length; at += step) chunks.push(input.subarray(at, at + step));
  return chunks;
}

/** A connector's stdout, read as Sluice reads an Airbyte source or a Singer tap. */
function messageTarget(name, problem, seeds, dictionary) {
  return {
    name,
    seeds: seeds.map((lines) => Buffer.concat([Buffer.from([7]), Buffer.from(lines)])),
    dictionary,
    async run(input) {
      for await (const _ of jsonLines(Readable.from(chunked(input)), "fuzzed", problem));
    },
  };
}

/** One valid manifest of each source kind. */
const MANIFEST_SEEDS = [
  { name: "gen", source: "Local", uri: "./bin", command: "bin/gen", version: "1.0.0" },
  { name: "x", source: "HTTP", uri: "https://example.com/x.tar.gz", sha256: "a".repeat(64), command: "x" },
  { name: "y", source: "VCS", uri: "https://example.com/y.git", ref: "main", install_command: "make", command: "y" },
];

export const targets = [
  {
    name: "handshake",
    seeds: ["1|1|unix|/tmp/plugin123|grpc|\n", "1|2|tcp|127.0.0.1:1234|grpc|MIIB|true\n"],
    dictionary: ["|", "grpc", "netrpc", "unix", "tcp", "true", "1", "-1", "1e3", "0x1"],
    run: (input) => parseHandshakeLine(text(input), [1, 2]),
  },
  {
    name: "hclog",
    seeds: ['{"@level":"info","@message":"hi","@timestamp":"2024-01-01T00:00:00Z","k":1}', "[INFO] plain"],
    dictionary: ['"@level"', '"@message"', '"@caller"', "null", "{", "}", ":", ...OBJECT_KEYS],
    run(input) {
      // Its level feeds the logger's level table: anything but a level is a bug even without a throw.
      const { level } = parseLogLine(text(input));
      if (!["trace", "debug", "info", "warn", "error"].includes(level)) throw new Error(`log level ${String(level)}`);
    },
  },
  {
    name: "manifest",
    seeds: MANIFEST_SEEDS.map((manifest) => JSON.stringify(manifest)),
    dictionary: ['"name"', '"uri"', '"command"', '"sha256"', '"ref"', '"source"', '"VCS"', "..", "\\u001b", ...OBJECT_KEYS],
    run: (input) => parseManifest(text(input), "fuzz.json", "/nonexistent"),
  },
  {
    // Valid manifests with one field's text fuzzed (the first byte picks which): past the JSON syntax, into the checks.
    name: "manifest-fields",
    seeds: [Buffer.from([0, ...Buffer.from("gen")]), Buffer.from([2, ...Buffer.from("git+https://example.com/x.git")])],
    dictionary: ["..", "/", "\\", "\u001b[2J", "file:", "https://", "git@", "~", "$(", "`", "\u0000", ...OBJECT_KEYS],
    run(input) {
      const manifest = { ...MANIFEST_SEEDS[(input[0] ?? 0) % MANIFEST_SEEDS.length] };
      const fields = Object.keys(manifest).concat("description", "version", "protocol");
      manifest[fields[(input[0] ?? 0) % fields.length]] = text(input.subarray(1));
      parseManifest(JSON.stringify(manifest), "fuzz.json", "/nonexistent");
    },
  },
  {
    name: "qlik-statement",
    seeds: [
      "SELECT a, b FROM t WHERE a > 1 LIMIT 5",
      'SQL SELECT * FROM "t x" ORDER BY 1;',
      '{"connector": "gen", "stream": "users", "options": {"count": 3}}',
    ],
    dictionary: ["SELECT", "FROM", "WHERE", "(", ")", "'", '"', "`", "[", "]", "--", "/*", '"command"', "WITH RECURSIVE"],
    run: (input) => parseStatement(text(input)),
  },
  {
    name: "qlik-connection-string",
    seeds: ["host=db;port=5432;ssl=true", '{"a": 1}\u0000{"b": 2}', "x=1.5;y=-0\u0000raw"],
    dictionary: [";", "=", "{", "}", "true", "1e400"],
    run(input) {
      // The connection string, then (after a NUL) the statement's options as the client sent them.
      const [connectionString, options] = text(input).split("\u0000");
      optionsWithConnection(options, { connectionString, user: "user", password: "secret" }, undefined);
    },
  },
  {
    name: "sluice-read-response",
    seeds: [Buffer.from(sluiceReadSeed())],
    run(input) {
      const message = decodeReadResponse(input);
      if (message.message?.$case === "page" && message.message.value.records?.$case === "columns")
        decodeColumns(message.message.value.records.value);
    },
  },
  chunkTarget("qlik-bucket-chunk", bucketChunks),
  chunkTarget("qlik-columnar-chunk", columnarChunks),
  {
    // A Qlik server's GetData header (its fields' names, types and tags) as Sluice's Qlik client reads it.
    name: "qlik-getdata-header",
    seeds: [Buffer.from(getDataHeaderSeed())],
    run(input) {
      const metadata = new Metadata();
      metadata.set(GETDATA_HEADER, Buffer.from(input));
      const header = readHeader(metadata);
      const readers = fieldReaders(header.fieldInfo);
      keyFields(header.fieldInfo, readers);
      for (const reader of readers) for (const cell of [null, "t", 45000.5, 2n ** 62n, { text: "d", number: 1e300 }]) reader.read(cell);
    },
  },
  {
    name: "opencdc-record",
    seeds: [Buffer.from(openCdcSeed())],
    run(input) {
      let response;
      try {
        response = Source_Run_Response.decode(input);
      } catch {
        return; // grpc-js refuses a message its deserializer cannot read (a call error, not ours to type)
      }
      for (const record of response.records) recordToChange(record);
    },
  },
  messageTarget(
    "airbyte-messages",
    airbyteMessageProblem,
    [
      '{"type":"RECORD","record":{"stream":"s","data":{"id":1},"emitted_at":1}}\n{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":{}}}}\n',
      '{"type":"LOG","log":{"level":"INFO","message":"m"}}\n{"type":"TRACE","trace":{"type":"ERROR","error":{"message":"x"}}}\nchatter\n',
      '{"type":"CONTROL","control":{"type":"CONNECTOR_CONFIG","connectorConfig":{"config":{}}}}\n{"type":"CATALOG","catalog":{"streams":[]}}\n',
    ],
    ['"type"', '"RECORD"', '"STATE"', '"LOG"', '"TRACE"', '"CONTROL"', '"CATALOG"', '"SPEC"', "null", "[]", "{}", "\n", ...OBJECT_KEYS],
  ),
  messageTarget(
    "singer-messages",
    singerMessageProblem,
    [
      '{"type":"SCHEMA","stream":"s","schema":{},"key_properties":["id"]}\n{"type":"RECORD","stream":"s","record":{"id":1}}\n{"type":"STATE","value":{"a":1}}\n',
    ],
    ['"type"', '"RECORD"', '"STATE"', '"SCHEMA"', '"ACTIVATE_VERSION"', "null", "[]", "{}", "\n", ...OBJECT_KEYS],
  ),
  {
    name: "json-lines",
    seeds: [Buffer.from([3, ...Buffer.from("a\nbb\r\n\ncccccccccccc\nd")])],
    dictionary: ["\n", "\r\n", "\r"],
    run(input) {
      // A short line limit, so the fuzzer reaches the overflow paths in both modes.
      for (const overflow of ["fail", "cut"]) {
        const splitter = new LineSplitter({ maxBytes: 8, overflow, source: "fuzzed" }, () => {});
        for (const chunk of chunked(input)) splitter.push(chunk);
        splitter.end();
      }
    },
  },
];

function sluiceReadSeed() {
  // A page of stream "s" with two columnar rows and a checkpoint, built with our own encoder.
  const columns = encodeColumns([{ id: 1, name: "a" }, { id: 2 ** 60, name: null }]);
  return ReadResponse.encode({
    message: {
      $case: "page",
      value: { stream: "s", records: { $case: "columns", value: columns }, checkpoint: { state: "{}" }, estimatedTotal: 2 },
    },
  }).finish();
}

function openCdcSeed() {
  return Source_Run_Response.encode({
    records: [{
      position: Buffer.from("p1"),
      operation: 1,
      metadata: { "opencdc.collection": "users" },
      key: { data: { $case: "structuredData", value: { id: 1 } } },
      payload: { before: undefined, after: { data: { $case: "structuredData", value: { id: 1, name: "a" } } } },
    }],
  }).finish();
}

function getDataHeaderSeed() {
  return GetDataResponse.encode({
    tableName: "t",
    fieldInfo: [
      { name: "id", semanticType: 0, fieldAttributes: { Type: 1 }, tags: ["key"] },
      { name: "day", semanticType: 0, fieldAttributes: { Type: 5 }, tags: [] },
      { name: "at", semanticType: 2, fieldAttributes: undefined, tags: [] },
    ],
  }).finish();
}

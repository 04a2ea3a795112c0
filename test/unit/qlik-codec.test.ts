/**
 * The codecs and parsers under the Qlik paths, without a network: exact
 * encoded sizes, bucket rules across chunk boundaries, the columnar codec
 * Sluice's own pages share, field types, statements, connection strings.
 */
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldReaders } from "../../src/drivers/qlik/fields.js";
import type { Cell } from "../../src/protocol/cells.js";
import { decodeColumns, encodeColumns } from "../../src/protocol/columns.js";
import * as connect from "../../src/protocol/gen/qlik/connect/data_connector.js";
import * as revisionA from "../../src/protocol/gen/qlik/data_connector.js";
import { BucketDecoder } from "../../src/protocol/qlik/buckets.js";
import { bucketChunks, type ChunkCodec, columnarChunks } from "../../src/protocol/qlik/chunks.js";
import { optionsWithConnection, parseConnectionString } from "../../src/server/qlik/connection-config.js";
import { parseStatement } from "../../src/server/qlik/statement.js";

/** Deterministic pseudo-random cells of every kind. */
function randomRows(count: number, width: number, seed = 7): Cell[][] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const cell = (): Cell => {
    const r = next();
    if (r < 0.1) return null;
    if (r < 0.2) return "";
    if (r < 0.4) return ["alpha", "beta", "γάμμα ✓", "x".repeat(300)][Math.floor(next() * 4)];
    if (r < 0.6) return Math.floor((next() - 0.5) * 2 ** 40);
    if (r < 0.8) return (next() - 0.5) * 1e6;
    if (r < 0.9) return 2 ** 60;
    return { text: `v${Math.floor(next() * 10)}`, number: Math.floor(next() * 100) };
  };
  return Array.from({ length: count }, () => Array.from({ length: width }, cell));
}

interface Wire<C> {
  codec: ChunkCodec<C>;
  encode(chunk: C): Uint8Array;
  decode(bytes: Uint8Array): C;
}

const wires: Record<string, Wire<connect.DataChunk> | Wire<revisionA.DataChunk>> = {
  buckets: {
    codec: bucketChunks,
    encode: (c) => connect.DataChunk.encode(c).finish(),
    decode: (b) => connect.DataChunk.decode(b),
  },
  columnar: {
    codec: columnarChunks,
    encode: (c) => revisionA.DataChunk.encode(c).finish(),
    decode: (b) => revisionA.DataChunk.decode(b),
  },
};

for (const [name, wire] of Object.entries(wires) as [string, Wire<unknown>][]) {
  test(`${name}: the measured size is the encoded size, and cells survive the wire`, () => {
    const width = 5;
    const rows = randomRows(2000, width);
    const encoder = wire.codec.encoder(width);
    const decoder = wire.codec.decoder(["a", "b", "c", "d", "e"]);
    const back: Cell[][] = [];
    for (let i = 0; i < rows.length; i++) {
      encoder.addRow(rows[i]);
      if (encoder.size >= 4096 || i === rows.length - 1) {
        const size = encoder.size;
        const bytes = wire.encode(encoder.take());
        assert.equal(size, bytes.length);
        const chunk = wire.codec.deserialize(bytes);
        assert.deepEqual(chunk, wire.decode(bytes), "the codec's deserializer reads what the generated decoder reads");
        back.push(...decoder.push(chunk));
      }
    }
    back.push(...decoder.finish());
    assert.deepEqual(back, rows);
  });
}

test("the codecs' deserializers also take unpacked repeated fields and skip unknown ones, like the generated decoders", () => {
  const buckets = new BinaryWriter();
  buckets.uint32(10).string("é").uint32(17).double(2.5).uint32(24).sint32(-1).uint32(24).sint32(0);
  buckets
    .uint32(32)
    .sint64(-2)
    .uint32(32)
    .sint64(-(2 ** 40))
    .uint32(32)
    .sint64(0)
    .uint32(42)
    .string("future field");
  const bucketBytes = buckets.finish();
  assert.deepEqual(bucketChunks.deserialize(bucketBytes), connect.DataChunk.decode(bucketBytes));
  assert.deepEqual(bucketChunks.deserialize(bucketBytes).numberCodes, [-2, -(2 ** 40), 0]);
  const column = new BinaryWriter()
    .uint32(24)
    .sint64(-7)
    .uint32(32)
    .int32(1)
    .uint32(17)
    .double(1.5)
    .uint32(40)
    .int32(9)
    .finish();
  const columnar = new BinaryWriter().uint32(10).bytes(column).uint32(18).string("x").finish();
  assert.deepEqual(columnarChunks.deserialize(columnar), revisionA.DataChunk.decode(columnar));
  assert.throws(() => bucketChunks.deserialize(bucketBytes.subarray(0, 5)), /message truncated/);
});

test("buckets: rows wrap across chunks, a -2 waits for its integer, -3 pieces continue a text across chunks", () => {
  const decoder = new BucketDecoder(2);
  const chunk = (stringBucket: string[], doubleBucket: number[], stringCodes: number[], numberCodes: number[]) =>
    decoder.push({ stringBucket, doubleBucket, stringCodes, numberCodes });
  assert.deepEqual(chunk(["a"], [2.5], [0, -1, -1], [-1, 0, -2]), []);
  assert.deepEqual(chunk(["b", "c"], [], [0, 1], [42, -1, -3]), [["a", 2.5]]);
  assert.deepEqual(chunk(["d"], [], [0], [-3]), []);
  assert.deepEqual(chunk([], [], [], []), []);
  assert.deepEqual(decoder.finish(), [[42, "bcd"]]);
});

test("buckets: a dual keeps both parts; broken chunks are refused naming the chunk and the code", () => {
  const dual = new BucketDecoder(1);
  assert.deepEqual(dual.push({ stringBucket: ["Jan"], doubleBucket: [], stringCodes: [0], numberCodes: [-2, 1] }), []);
  assert.deepEqual(dual.finish(), [[{ text: "Jan", number: 1 }]]);
  const cases: [connect.DataChunk, RegExp][] = [
    [
      { stringBucket: [], doubleBucket: [], stringCodes: [0], numberCodes: [-1] },
      /DataChunk 1: string code 0 points past the string bucket \(0 entries\)/,
    ],
    [
      { stringBucket: [], doubleBucket: [], stringCodes: [-1], numberCodes: [3] },
      /number code 3 points past the double bucket/,
    ],
    [
      { stringBucket: [], doubleBucket: [], stringCodes: [-1], numberCodes: [-1, -1] },
      /1 number code\(s\) have no string code/,
    ],
    [
      { stringBucket: [], doubleBucket: [], stringCodes: [-1, -1], numberCodes: [-1] },
      /string code 1 has no number code/,
    ],
    [{ stringBucket: [], doubleBucket: [], stringCodes: [-5], numberCodes: [-1] }, /string code -5 means nothing/],
    [
      { stringBucket: ["x"], doubleBucket: [], stringCodes: [0], numberCodes: [-3] },
      /a -3 continuation comes before any value/,
    ],
  ];
  for (const [chunk, message] of cases) assert.throws(() => new BucketDecoder(2).push(chunk), message);
  const cut = new BucketDecoder(3);
  cut.push({ stringBucket: [], doubleBucket: [], stringCodes: [-1], numberCodes: [-1] });
  assert.throws(() => cut.finish(), /the stream ended inside a row: 1 of 3 values arrived/);
});

test("columnar: Sluice pages encode as before (nulls flagged, mixed columns as text, all-null as integers)", () => {
  const page = encodeColumns([
    { id: 1, score: 1.5, name: "a", mixed: 1, none: null, ok: true },
    { id: 2, score: null, name: null, mixed: "x", none: null, ok: false },
  ]);
  assert.deepEqual(page.columns, [
    { strings: [], doubles: [], integers: [1, 2], flags: [] },
    { strings: [], doubles: [1.5, 0], integers: [], flags: [0, 1] },
    { strings: ["a", ""], doubles: [], integers: [], flags: [0, 1] },
    { strings: ["1", "x"], doubles: [], integers: [], flags: [] },
    { strings: [], doubles: [], integers: [0, 0], flags: [1, 1] },
    { strings: [], doubles: [], integers: [1, 0], flags: [] },
  ]);
  assert.deepEqual(decodeColumns(page), [
    { id: 1, score: 1.5, name: "a", mixed: "1", none: null, ok: 1 },
    { id: 2, score: null, name: null, mixed: "x", none: null, ok: 0 },
  ]);
});

test("columnar: a column with both parts uses flags for the missing part; Sluice pages read its text", () => {
  const encoder = columnarChunks.encoder(1);
  for (const cell of [{ text: "Jan", number: 1 }, 7, "only text", null] as Cell[]) encoder.addRow([cell]);
  const { cols } = encoder.take();
  assert.deepEqual(cols, [
    { strings: ["Jan", "", "only text", ""], doubles: [], integers: [1, 7, 0, 0], flags: [0, 2, 3, 1] },
  ]);
  assert.deepEqual(decodeColumns({ names: ["v"], columns: cols, rowCount: 4 }), [
    { v: "Jan" },
    { v: 7 },
    { v: "only text" },
    { v: null },
  ]);
  assert.throws(
    () => decodeColumns({ names: ["v"], columns: cols, rowCount: 5 }),
    /column "v" of a columnar page: strings has 4 entries for 5 rows/,
  );
});

test("field info: dates from serial days, Unix seconds or ISO text; untyped integers stay integers", () => {
  const field = (
    name: string,
    type: connect.FieldAttrType,
    semanticType = connect.SemanticType.DEFAULT,
  ): connect.FieldInfo => ({
    name,
    semanticType,
    fieldAttributes: { Type: type },
    tags: [],
  });
  const { FieldAttrType: T, SemanticType: S } = connect;
  const readers = fieldReaders([
    field("d", T.DATE),
    field("ts", T.TIMESTAMP, S.UNIX_SECONDS_SINCE_1970_UTC),
    field("t", T.TIME),
    field("iso", T.TIMESTAMP, S.ISO_8601),
    field("any", T.UNKNOWN),
    field("any", T.UNKNOWN),
    field("i", T.INTEGER),
    field("txt", T.TEXT),
  ]);
  assert.deepEqual(
    readers.map((r) => r.name),
    ["d", "ts", "t", "iso", "any", "any_2", "i", "txt"],
  );
  const cells: Cell[] = [45322.5, 1704164645, 0.75, "2024-01-02T03:04:05Z", 5, 2.5, { text: "5", number: 5 }, 12];
  assert.deepEqual(
    readers.map((r, i) => r.read(cells[i])),
    ["2024-01-31", "2024-01-02T03:04:05.000Z", "18:00:00", "2024-01-02T03:04:05Z", 5n, 2.5, 5, 12],
  );
  assert.deepEqual(
    readers.map((r) => r.read(null)),
    Array(8).fill(null),
  );
  assert.deepEqual(
    readers.map((r) => r.property),
    [
      { type: "string", format: "date" },
      { type: "string", format: "date-time" },
      { type: "string", format: "time" },
      { type: "string", format: "date-time" },
      {},
      {},
      { type: "integer" },
      { type: "string" },
    ],
  );
});

test("statements: SELECT forms over the store and the JSON form for live sources", () => {
  assert.deepEqual(parseStatement("SELECT * FROM people"), { kind: "sql", columns: "*", table: "people", rest: "" });
  assert.deepEqual(
    parseStatement(' SQL select "a b", (SELECT 1 FROM x) AS y from "odd ""name""" where "from" = \'FROM\' limit 3; '),
    {
      kind: "sql",
      columns: '"a b", (SELECT 1 FROM x) AS y',
      table: 'odd "name"',
      rest: "where \"from\" = 'FROM' limit 3",
    },
  );
  assert.deepEqual(parseStatement("SELECT id FROM [t]\nORDER BY id"), {
    kind: "sql",
    columns: "id",
    table: "t",
    rest: "ORDER BY id",
  });
  assert.deepEqual(parseStatement('{"connector": "gen", "stream": "users", "config": {"count": 3}}'), {
    kind: "source",
    connector: "gen",
    stream: "users",
    protocol: undefined,
    options: { count: 3 },
  });
  const problems: [string, RegExp][] = [
    ["UPDATE t SET a = 1", /expected SELECT/],
    ["SELECT 1", /no FROM <table>/],
    ["SELECT FROM t", /no columns between SELECT and FROM/],
    ["SELECT * FROM t JOIN u", /only WHERE, GROUP BY, ORDER BY and LIMIT may follow/],
    ["{nope", /must be a JSON object/],
    [
      '{"command": "touch pwned", "stream": "x"}',
      /"command" is never run: a client does not choose what the server starts/,
    ],
    ['{"stream": "x"}', /"connector" is required/],
    ['{"connector": "x", "extra": 1}', /unknown key\(s\) "extra"/],
    ['{"connector": "x", "options": [1]}', /"options" must be a JSON object or a string/],
  ];
  for (const [text, message] of problems) assert.throws(() => parseStatement(text), message, text);
});

test("connection info: key=value pairs or JSON under the statement's options; user and password where accepted", () => {
  assert.deepEqual(parseConnectionString("host=db; port=5432;ssl=true;zip=01234;;"), {
    host: "db",
    port: 5432,
    ssl: true,
    zip: "01234",
  });
  assert.throws(() => parseConnectionString("host"), /"host" has no key=/);
  const connection = { connectionString: "count=10;page_size=5", user: "ada", password: "pw" };
  const closed = { properties: { count: {}, page_size: {} }, additionalProperties: false };
  assert.equal(optionsWithConnection({ page_size: 2 }, connection, closed), '{"count":10,"page_size":2}');
  assert.equal(
    optionsWithConnection(undefined, connection, undefined),
    '{"count":10,"page_size":5,"user":"ada","password":"pw"}',
  );
  assert.equal(
    optionsWithConnection("raw text", { connectionString: "", user: "", password: "" }, undefined),
    "raw text",
  );
  assert.throws(() => optionsWithConnection("raw text", connection, undefined), /not a JSON object/);
});

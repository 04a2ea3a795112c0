/** Integers beyond 2^53 through every decoder and encoder of outside input: never a rounded double. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { readColumn, type WireColumn } from "../../src/protocol/columns.js";
import { hasLongDigitRun, jsonText, parseJsonExact } from "../../src/protocol/json.js";
import { BucketChunkBuilder, BucketDecoder, decodeBucketChunk } from "../../src/protocol/qlik/buckets.js";
import { columnarChunks } from "../../src/protocol/qlik/chunks.js";
import { DataChunk } from "../../src/protocol/gen/qlik/connect/data_connector.js";
import { WireReader } from "../../src/protocol/wire-reader.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Past 2^53, and -(2^52 + 1), which qlik-oss's PostgreSQL connector once saw stored as +2^52 through our decoder. */
const BIG = [9007199254740993n, 9007199254740992n, -4503599627370497n, INT64_MIN, INT64_MAX];
/** What a decoder gives for each: a number where a double holds it exactly, else the bigint. */
const DECODED = BIG.map((n) => (Number.isSafeInteger(Number(n)) ? Number(n) : n));

test("JSON text: integers beyond 2^53 come back as bigints, everything else as JSON.parse gives it", () => {
  const parsed = parseJsonExact('[{"id":9007199254740993},{"id":9007199254740992,"x":1.5,"s":"12345678901234567890"}]');
  assert.deepEqual(parsed, [{ id: 9007199254740993n }, { id: 9007199254740992n, x: 1.5, s: "12345678901234567890" }]);
  assert.deepEqual(parseJsonExact('{"n":9007199254740991,"f":1234567890123456.5,"e":1e300}'), {
    n: 9007199254740991,
    f: 1234567890123456.5,
    e: 1e300,
  });
  assert.deepEqual(parseJsonExact('{"a":[1,{"b":-18446744073709551617}]}'), { a: [1, { b: -18446744073709551617n }] });
  assert.throws(() => parseJsonExact('{"id": 12345678901234567890'), SyntaxError);
  assert.throws(() => parseJsonExact('{"id": 1'), SyntaxError);
});

test("the scan for 16 digits in a row answers as /\\d{16}/ does, wherever the run sits", () => {
  const cases = ["", "123456789012345", "1234567890123456", "x1234567890123456", "123456789012345x6"];
  for (let offset = 0; offset < 40; offset++)
    for (const run of [15, 16, 17]) cases.push(`${"a,".repeat(offset)}${"7".repeat(run)}${offset % 2 ? "" : "]"}`);
  // Runs of 15 beside runs of 16 and more, at every distance a skip of 16 could jump over.
  for (let gap = 1; gap < 20; gap++) cases.push(`${"9".repeat(15)}${"x".repeat(gap)}${"9".repeat(16)}`);
  let seed = 2026;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 20000; n++) {
    const length = Math.floor(random() * 60);
    cases.push(Array.from({ length }, () => (random() < 0.85 ? String(Math.floor(random() * 10)) : ",")).join(""));
  }
  for (const text of cases) assert.equal(hasLongDigitRun(text), /\d{16}/.test(text), JSON.stringify(text));
});

test("JSON text out: bigints (nested too) written as exact numbers, and read back the same", () => {
  const value = { id: 9007199254740993n, nested: [INT64_MIN, { x: 1 }], label: "a" };
  const text = jsonText(value);
  assert.equal(text, '{"id":9007199254740993,"nested":[-9223372036854775808,{"x":1}],"label":"a"}');
  assert.deepEqual(parseJsonExact(text), value);
});

test("sint64 from the wire: exact past 2^53 (the generated encoder's bytes, as qlik-oss connectors send them)", () => {
  const writer = new BinaryWriter();
  writer.uint32(34).fork();
  for (const n of [...BIG, -1n, 0n, 4503599627370496n]) writer.sint64(n);
  writer.join();
  const chunk = decodeBucketChunk(writer.finish());
  assert.deepEqual(chunk.numberCodes, [...DECODED, -1, 0, 4503599627370496]);
});

test("buckets: bigints encode inline and decode exact, through the generated encoder", () => {
  const builder = new BucketChunkBuilder();
  for (const n of BIG) builder.addRow([n, { text: `t${n}`, number: n }]);
  const bytes = DataChunk.encode(builder.take() as DataChunk).finish();
  const decoder = new BucketDecoder(2);
  const rows = [...decoder.push(decodeBucketChunk(bytes)), ...decoder.finish()];
  assert.deepEqual(
    rows,
    DECODED.map((n) => [n, { text: `t${n}`, number: n }]),
  );
});

test("columns: a column of integers with bigints among them stays exact", () => {
  const encoder = columnarChunks.encoder(1);
  for (const n of [1n, ...BIG]) encoder.addRow([n === 1n ? 1 : n]);
  const { cols } = encoder.take();
  const writer = new BinaryWriter();
  writer.uint32(26).fork();
  for (const n of cols[0].integers) writer.sint64(n);
  writer.join();
  const column: WireColumn = readColumn(new WireReader(writer.finish()));
  assert.deepEqual(column.integers, [1, ...DECODED]);
});

/** The connector's own tests: run with `npm test`. `sluice test` checks the running connector. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { destination, payloadOf, recordAt, source } from "../src/connector.js";

test("the source reads in batches and resumes after a position", async () => {
  const reader = source();
  await reader.configure({ count: "5", batch: "2" });
  await reader.open(Buffer.from("2"));
  const signal = new AbortController().signal;
  const first = await reader.read(signal);
  assert.deepEqual(
    first.map((record) => record.position.toString()),
    ["3", "4"],
  );
  assert.deepEqual(payloadOf(first[0]), { id: 3, name: "item 3" });
});

test("the destination writes each record as a JSON line and answers per record", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "{{name}}-")), "out.jsonl");
  const writer = destination();
  await writer.configure({ path });
  assert.deepEqual(await writer.write([recordAt(1), recordAt(2)]), [undefined, undefined]);
  assert.deepEqual(
    readFileSync(path, "utf8").trim().split("\n").map((line) => JSON.parse(line).position),
    ["1", "2"],
  );
});

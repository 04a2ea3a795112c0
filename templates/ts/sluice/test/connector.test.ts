/** The connector's own tests: run with `npm test`. `sluice test` checks the running connector. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PageWriter } from "sluice/sdk";
import { connector, itemsAfter, parseOptions } from "../src/connector.js";

test("options: defaults, and every problem names the option", () => {
  assert.deepEqual(parseOptions("").options, { count: 100, page_size: 25 });
  assert.deepEqual(parseOptions('{"count": -1, "colour": "red"}').problems, [
    'option "count": must be an integer, 0 or more',
    'option "colour": unknown',
  ]);
});

test("items after the last id", () => {
  assert.deepEqual(
    itemsAfter(2, { count: 4, page_size: 10 }).map((item) => item.id),
    [3, 4],
  );
});

test("read pages the items and checkpoints the last id; an incremental run starts after it", async () => {
  const pages: { records: unknown[]; checkpoint: unknown }[] = [];
  const writer: PageWriter = {
    write: async (_stream, records, options) => void pages.push({ records, checkpoint: options?.checkpoint }),
    checkpoint: async () => {},
  };
  await connector.read(
    { options: '{"count": 5, "page_size": 2}', state: { last_id: 1 }, streams: [{ name: "items", syncMode: "incremental" }] },
    writer,
  );
  assert.deepEqual(
    pages.map((page) => page.records.length),
    [2, 2],
  );
  assert.deepEqual(pages.at(-1)?.checkpoint, { last_id: 5 });
});

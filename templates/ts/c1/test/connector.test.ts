/** The connector's own tests: run with `npm test`. `sluice test` checks the running connector. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DataObject } from "sluice/sdk";
import { connector, parseOptions } from "../src/connector.js";

test("options: defaults, and a problem names the option", () => {
  assert.deepEqual(parseOptions(""), { count: 100, page_size: 25 });
  assert.throws(() => parseOptions('{"page_size": 0}'), /option "page_size"/);
});

test("sync sends every object, page by page, and says how many", async () => {
  const pages: DataObject[][] = [];
  const metadata = await connector.sync('{"count": 5, "page_size": 2}', { upsert: async (page) => void pages.push(page) });
  assert.deepEqual(
    pages.map((page) => page.length),
    [2, 2, 1],
  );
  assert.equal(pages[0][0].remoteId, "object-1");
  assert.deepEqual(JSON.parse(metadata), { message: "success", objects: 5 });
});

/** The drivers' one batcher: pages per stream, full ones handed back at once, the rest drained in order. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Batcher, PAGE_SIZE } from "../../src/drivers/batcher.js";

test("a stream's page comes back when it is full, and not before", () => {
  const batcher = new Batcher<number>(3);
  assert.equal(batcher.add("a", 1), undefined);
  assert.equal(batcher.add("a", 2), undefined);
  assert.deepEqual(batcher.add("a", 3), [1, 2, 3]);
  assert.equal(batcher.add("a", 4), undefined, "a new page starts after a full one");
  assert.equal(batcher.records, 4);
});

test("streams fill their own pages; drain hands back every pending page, oldest stream first, and empties", () => {
  const batcher = new Batcher<string>(2);
  batcher.add("users", "u1");
  batcher.add("events", "e1");
  assert.deepEqual(batcher.add("users", "u2"), ["u1", "u2"]);
  batcher.add("users", "u3");
  assert.deepEqual(batcher.drain(), [
    ["events", ["e1"]],
    ["users", ["u3"]],
  ]);
  assert.deepEqual(batcher.drain(), [], "nothing twice");
});

test("the default page is a thousand records (one store transaction each)", () => {
  const batcher = new Batcher<number>();
  for (let n = 1; n < PAGE_SIZE; n++) assert.equal(batcher.add("s", n), undefined);
  assert.equal(batcher.add("s", PAGE_SIZE)?.length, PAGE_SIZE);
});

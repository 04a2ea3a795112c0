/** The sink queue: calls one at a time and in order, the caller free while one runs; the first failure is final. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SinkQueue } from "../../src/drivers/sink-queue.js";
import type { RecordPage } from "../../src/drivers/types.js";

const page = (stream: string): RecordPage => ({ stream, rows: [] });
const tick = () => new Promise((resolve) => setImmediate(resolve));

test("calls run one at a time, in order; a caller waits only for the call before its own", async () => {
  const log: string[] = [];
  let running = 0;
  const releases: (() => void)[] = [];
  const sink = {
    page: async ({ stream }: RecordPage) => {
      assert.equal(++running, 1, "never two calls at once");
      log.push(`start ${stream}`);
      await new Promise<void>((resolve) => releases.push(resolve));
      log.push(`end ${stream}`);
      running--;
    },
    checkpoint: async (state: string) => void log.push(`state ${state}`),
  };
  const queue = new SinkQueue(sink, () => {});
  await queue.page(page("a"));
  let secondReturned = false;
  const second = queue.page(page("b")).then(() => (secondReturned = true));
  await tick();
  assert.equal(secondReturned, false, "the caller waits while the call before its own runs");
  releases.shift()?.();
  await second;
  const state = queue.checkpoint("s1");
  await tick();
  releases.shift()?.();
  await state;
  await queue.settled();
  assert.deepEqual(log, ["start a", "end a", "start b", "end b", "state s1"]);
});

test("after a failure, later calls are not made and every caller hears the first failure", async () => {
  const calls: string[] = [];
  let failures = 0;
  const sink = {
    page: async ({ stream }: RecordPage) => {
      calls.push(stream);
      if (stream === "bad") throw new Error("disk full");
    },
    checkpoint: async () => void calls.push("state"),
  };
  const queue = new SinkQueue(sink, () => failures++);
  await queue.page(page("bad"));
  await assert.rejects(queue.checkpoint("s1"), /disk full/);
  await assert.rejects(queue.settled(), /disk full/);
  await assert.rejects(queue.page(page("late")), /disk full/);
  assert.deepEqual(calls, ["bad"], "nothing after the failed call ran");
  assert.equal(failures, 1);
});

test("callers that do not wait for each other get their calls made in the order they asked", async () => {
  const log: string[] = [];
  const sink = {
    page: async ({ stream }: RecordPage) => {
      log.push(`start ${stream}`);
      await tick();
      log.push(`end ${stream}`);
    },
    checkpoint: async (state: string) => void log.push(`state ${state}`),
  };
  const queue = new SinkQueue(sink, () => {});
  // A read loop and a timer, each asking before the other's call has started.
  await Promise.all([queue.page(page("a")), queue.page(page("b")), queue.checkpoint("s1"), queue.page(page("c"))]);
  await queue.settled();
  assert.deepEqual(log, ["start a", "end a", "start b", "end b", "state s1", "start c", "end c"]);
});

test("a page is announced to the sink as it is queued, while the write before it runs; not after a failure", async () => {
  const log: string[] = [];
  const releases: (() => void)[] = [];
  const sink = {
    page: async ({ stream }: RecordPage) => {
      log.push(`write ${stream}`);
      if (stream === "bad") throw new Error("disk full");
      await new Promise<void>((resolve) => releases.push(resolve));
    },
    checkpoint: async () => {},
    upcoming: ({ stream }: RecordPage) => void log.push(`upcoming ${stream}`),
  };
  const queue = new SinkQueue(sink, () => {});
  await queue.page(page("a"));
  const second = queue.page(page("bad"));
  await tick();
  assert.deepEqual(log, ["upcoming a", "write a", "upcoming bad"], "announced while a is still being written");
  releases.shift()?.();
  await second;
  await assert.rejects(queue.settled(), /disk full/);
  await assert.rejects(queue.page(page("late")), /disk full/);
  assert.deepEqual(log, ["upcoming a", "write a", "upcoming bad", "write bad"], "nothing announced after the failure");
});

/** A subprocess source's pager: state rides on the last page of the records before it, or goes alone. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pager } from "../../src/drivers/subprocess/pager.js";
import type { PageSink, RecordPage } from "../../src/drivers/types.js";

function recordingSink(): { sink: PageSink; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    sink: {
      page: async (page: RecordPage) =>
        void calls.push(`${page.stream}:${page.rows.length}${page.checkpoint ? `+${page.checkpoint}` : ""}`),
      checkpoint: async (state: string) => void calls.push(`state ${state}`),
    },
  };
}

test("state is saved with the last pending page, after the pages before it", async () => {
  const { sink, calls } = recordingSink();
  const pager = new Pager(sink, new Set(["users", "events"]), "source");
  await pager.add("users", { id: 1 });
  await pager.add("events", { id: 1 });
  await pager.add("users", { id: 2 });
  await pager.checkpoint("s1");
  await pager.finish(() => {});
  assert.deepEqual(calls, ["users:2", "events:1+s1"]);
});

test("state with no records pending is saved alone", async () => {
  const { sink, calls } = recordingSink();
  const pager = new Pager(sink, new Set(["users"]), "source");
  await pager.checkpoint("s0");
  await pager.add("users", { id: 1 });
  await pager.checkpoint("s1");
  await pager.checkpoint("s2");
  await pager.finish(() => {});
  assert.deepEqual(calls, ["state s0", "users:1+s1", "state s2"]);
});

/** A subprocess source's pager: states wait for full pages and ride on the last page of what they confirm. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PAGE_RECORDS, PENDING_CHARACTERS, Pager, STATE_WAIT_MS } from "../../src/drivers/subprocess/pager.js";
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

const newPager = (sink: PageSink) => new Pager(sink, new Set(["users", "events"]), "source");
const ok = () => {};

test("a state waits for the pages to fill, then rides on the last page written, after the others", async () => {
  const { sink, calls } = recordingSink();
  const pager = newPager(sink);
  await pager.add("events", { id: 0 });
  for (let id = 1; id < PAGE_RECORDS; id++) await pager.add("users", { id });
  pager.checkpoint("s1");
  assert.deepEqual(calls, [], "nothing written before a page is full");
  await pager.add("users", { id: PAGE_RECORDS });
  await pager.finish(ok);
  assert.deepEqual(calls, [`users:${PAGE_RECORDS}`, "events:1+s1"]);
});

test("states with nothing pending are held and saved alone at the end; the newest wins", async () => {
  const { sink, calls } = recordingSink();
  const pager = newPager(sink);
  pager.checkpoint("s0");
  await pager.add("users", { id: 1 });
  pager.checkpoint("s1");
  pager.checkpoint("s2");
  await pager.finish(ok);
  assert.deepEqual(calls, ["users:1+s2"]);
  const alone = recordingSink();
  const quiet = newPager(alone.sink);
  quiet.checkpoint("only");
  await quiet.finish(ok);
  assert.deepEqual(alone.calls, ["state only"]);
});

test("long source lines write the pending pages before they are full", async () => {
  const { sink, calls } = recordingSink();
  const pager = newPager(sink);
  await pager.add("users", { id: 1 }, PENDING_CHARACTERS / 2);
  pager.checkpoint("s1");
  await pager.add("users", { id: 2 }, PENDING_CHARACTERS / 2);
  await pager.finish(ok);
  assert.deepEqual(calls, ["users:2+s1"]);
});

test("a held state is saved a moment later with everything pending, even when the source goes quiet", async () => {
  const { sink, calls } = recordingSink();
  const pager = newPager(sink);
  await pager.add("users", { id: 1 });
  pager.checkpoint("s1");
  await pager.add("users", { id: 2 });
  assert.deepEqual(calls, [], "held");
  await new Promise((resolve) => setTimeout(resolve, STATE_WAIT_MS + 100));
  assert.deepEqual(calls, ["users:2+s1"], "saved without another message from the source");
  await pager.add("users", { id: 3 });
  pager.checkpoint("s2");
  await pager.finish(ok);
  assert.deepEqual(calls, ["users:2+s1", "users:1+s2"]);
});

test("when the source fails, the records its last state confirms are written with it, and no others", async () => {
  const { sink, calls } = recordingSink();
  const pager = newPager(sink);
  await pager.add("users", { id: 1 });
  await pager.add("events", { id: 1 });
  pager.checkpoint("s1");
  await pager.add("users", { id: 2 });
  await pager.add("events", { id: 2 });
  await assert.rejects(
    pager.finish(() => {
      throw new Error("the source exited with code 1");
    }),
    /exited with code 1/,
  );
  assert.deepEqual(calls, ["users:1", "events:1+s1"]);
});

test("when the read itself fails (a broken message), the confirmed records are kept the same way", async () => {
  const { sink, calls } = recordingSink();
  const pager = newPager(sink);
  const read = async () => {
    await pager.add("users", { id: 1 });
    pager.checkpoint("s1");
    await pager.add("users", { id: 2 });
    await pager.add("orders", { id: 1 });
  };
  await assert.rejects(pager.during(read()), /sent a record of stream "orders", which was not selected/);
  assert.deepEqual(calls, ["users:1+s1"]);
});

/**
 * Checkpoints that release upstream data are on disk before the release: a
 * Conduit source forgets what it acked (a CDC slot advances, a queue drops
 * the messages), so the transaction holding those records and their
 * position must survive a power loss, not only a crash of Sluice. Read off
 * strace: the store's WAL is fsynced once per acked batch, while a plain
 * sync (whose source can re-read) keeps SQLite's cheaper NORMAL mode.
 * PostgreSQL likewise: synchronous_commit on for those commits, off for the rest.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openStore } from "../src/stores/open.js";
import type { PostgresStore } from "../src/stores/postgres/store.js";
import { examples, root, run, sluiceBin, tempDir } from "./helpers.js";
import { createDatabase, pgUrl } from "./pg-helpers.js";

const tsConduit = join(root, "examples/ts/dist/conduit/main.js");

/** Runs `sluice <args>` under strace; returns the fsync/fdatasync calls made on `file`. */
async function syncsOf(t: { after(fn: () => void): void }, file: string, args: string[]): Promise<number> {
  const trace = join(tempDir(t), "trace");
  const result = await run(
    "strace",
    ["-f", "-y", "-qq", "-o", trace, "-e", "trace=fsync,fdatasync", process.execPath, sluiceBin, ...args],
    { timeoutMs: 300_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  return readFileSync(trace, "utf8")
    .split("\n")
    .filter((line) => /f(data)?sync\(\d+</.test(line) && line.includes(`<${file}>`)).length;
}

test("a Conduit source's batches are fsynced (synchronous=FULL) before they are acked; a plain sync is not", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "p.db");
  const batches = 8;
  const pipelineSyncs = await syncsOf(t, `${db}-wal`, [
    ...["--json", "pipeline", "run", "--from", `builtin:${tsConduit}`],
    ...["--from-config", `count=${batches * 10}`, "--from-config", "batch=10"],
    // stopped by the count: an idle stop can end a stalled run before the last batch
    ...["--to", `sqlite:${db}`, "--name", "durable", "--max-records", String(batches * 10)],
  ]);
  assert.ok(pipelineSyncs >= batches, `the WAL was fsynced ${pipelineSyncs} times for ${batches} acked batches`);

  const syncDb = join(dir, "s.db");
  const pages = 8;
  const syncSyncs = await syncsOf(t, `${syncDb}-wal`, [
    ...["sync", "-c", examples.goGenerator, "-o", JSON.stringify({ count: pages * 100, page_size: 100 })],
    ...["--db", syncDb],
  ]);
  assert.ok(syncSyncs < pages, `a plain sync fsynced its WAL ${syncSyncs} times for ${pages} pages: it needs none`);
});

test("into a Conduit destination, the source's position is fsynced in the state database before the source is acked", async (t) => {
  const dir = tempDir(t);
  const state = join(dir, "state.db");
  const batches = 6;
  const syncs = await syncsOf(t, `${state}-wal`, [
    ...["--json", "pipeline", "run", "--from", `builtin:${tsConduit}`],
    ...["--from-config", `count=${batches * 10}`, "--from-config", "batch=10"],
    ...["--to", `builtin:${tsConduit}`, "--to-config", `path=${join(dir, "out.jsonl")}`],
    ...["--state-db", state, "--name", "durable", "--max-records", String(batches * 10)],
  ]);
  assert.ok(syncs >= batches, `the state WAL was fsynced ${syncs} times for ${batches} acked batches`);
});

/** Opens a PostgreSQL store on `url` and records the SQL text its connection sends. */
async function recordedPostgres(t: { after(fn: () => Promise<void>): void }, url: string) {
  const store = (await openStore(url, { schema: "durability" })) as PostgresStore;
  t.after(() => store.close());
  const sent: string[] = [];
  const query = store.client.query;
  store.client.query = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] === "string") sent.push(args[0]);
    return Reflect.apply(query, this, args);
  } as typeof query;
  const table = await store.openTable({
    connector: "c",
    stream: "users",
    table: "users",
    columns: [{ name: "id", type: "integer" }],
    primaryKey: ["id"],
  });
  /** The BEGIN statements of what `work` sends. */
  const begins = async (work: () => Promise<unknown>) => {
    sent.length = 0;
    await work();
    // Without a page's own statements sent with its BEGIN (its page table, the question of its transaction id).
    return sent
      .filter((sql) => sql.startsWith("BEGIN"))
      .map((sql) => sql.split(/; SET LOCAL client_min_messages|; SELECT txid_current\(\)/)[0]);
  };
  return { store, table, begins };
}

test("PostgreSQL: a durable checkpoint and a sync's end commit with synchronous_commit on, even where the connection turned it off; other pages do not wait for the disk", async (t) => {
  const database = await createDatabase(t);
  const off = await recordedPostgres(t, `${pgUrl(database)}?options=-c%20synchronous_commit%3Doff`);
  assert.deepEqual(await off.store.query("SHOW synchronous_commit"), [{ synchronous_commit: "off" }]);
  const begin = "BEGIN; SET LOCAL TIME ZONE 'UTC'";
  const lazy = `${begin}; SET LOCAL synchronous_commit TO off`;
  const durable = `${begin}; SET LOCAL synchronous_commit TO on`;
  assert.deepEqual(await off.begins(() => off.table.write([{ id: 1 }], 1, { connector: "c", state: "1" })), [lazy]);
  assert.deepEqual(await off.begins(() => off.table.write([{ id: 2 }], 1)), [lazy]);
  assert.deepEqual(
    await off.begins(() => off.table.write([{ id: 3 }], 1, { connector: "c", state: "3", durable: true })),
    [durable],
  );
  assert.deepEqual(await off.begins(() => off.store.saveState("c", "4", 1, { durable: true })), [durable]);
  assert.deepEqual(await off.begins(() => off.store.saveState("c", "5", 1)), [lazy]);
  assert.equal(await off.store.loadState("c"), "5");
  // A sync's end makes every lazy commit before it durable.
  const sync = await off.store.beginSync("c", "sluice");
  const outcome = { status: "succeeded" as const, pages: 3, inserted: 3, updated: 0, unchanged: 0 };
  assert.deepEqual(await off.begins(() => off.store.finishSync(sync, outcome)), [durable]);
  assert.deepEqual(await off.store.query("SELECT id FROM durability.users ORDER BY id"), [
    { id: 1 },
    { id: 2 },
    { id: 3 },
  ]);

  // The server's default (on) already makes a commit durable: nothing to set.
  const on = await recordedPostgres(t, pgUrl(database));
  assert.deepEqual(
    await on.begins(() => on.table.write([{ id: 6 }], 1, { connector: "c", state: "6", durable: true })),
    [begin],
  );
  assert.deepEqual(await on.begins(() => on.table.write([{ id: 7 }], 1, { connector: "c", state: "7" })), [lazy]);
});

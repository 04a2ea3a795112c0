/** The SQLite store on real files: upsert counts, new columns, types, state with pages, durability across reopen. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { SqliteStore } from "../src/stores/sqlite/store.js";
import { deletion, RecordError, type SyncOwner } from "../src/stores/types.js";
import { query, tempDir } from "./helpers.js";

const spec = {
  connector: "demo",
  stream: "users",
  table: "demo_users",
  columns: [
    { name: "id", type: "integer" as const },
    { name: "name", type: "text" as const },
  ],
  primaryKey: ["id"],
};

test("upserts by primary key and counts inserted, updated and unchanged", async (t) => {
  const file = join(tempDir(t), "s.db");
  const store = SqliteStore.open(file);
  const table = await store.openTable(spec);
  const sync = await store.beginSync("demo", "test");
  assert.deepEqual(
    await table.write(
      [
        { id: 1, name: "a" },
        { id: 2, name: "b" },
      ],
      sync,
    ),
    { inserted: 2, updated: 0, unchanged: 0 },
  );
  assert.deepEqual(
    await table.write(
      [
        { id: 1, name: "a" },
        { id: 2, name: "B" },
        { id: 3, name: "c" },
      ],
      sync,
    ),
    { inserted: 1, updated: 1, unchanged: 1 },
  );
  await store.close();
  assert.deepEqual(query(file, "SELECT id, name, _sluice_version AS v FROM demo_users ORDER BY id"), [
    { id: 1, name: "a", v: 1 },
    { id: 2, name: "B", v: 2 },
    { id: 3, name: "c", v: 1 },
  ]);
});

test("new fields become columns; objects, arrays and booleans are stored as JSON text and integers", async (t) => {
  const file = join(tempDir(t), "s.db");
  const store = SqliteStore.open(file);
  const table = await store.openTable(spec);
  await table.write([{ id: 1, name: "a", tags: ["x", "y"], address: { city: "Oslo" }, active: true, score: 1.5 }], 1);
  await table.write([{ id: 2, name: "b", extra: null }], 1);
  await store.close();
  const [row] = query<Record<string, unknown>>(file, "SELECT * FROM demo_users WHERE id = 1");
  assert.deepEqual(JSON.parse(row.tags as string), ["x", "y"]);
  assert.deepEqual(JSON.parse(row.address as string), { city: "Oslo" });
  assert.equal(row.active, 1);
  assert.equal(row.score, 1.5);
  assert.ok("extra" in row);
});

test("a checkpoint is saved with its page, and a failed page leaves neither rows nor state", async (t) => {
  const file = join(tempDir(t), "s.db");
  const store = SqliteStore.open(file);
  const table = await store.openTable(spec);
  await table.write([{ id: 1, name: "a" }], 1, { connector: "demo", state: '{"cursor":1}' });
  await assert.rejects(
    table.write([{ id: 2, name: "b" }, { name: "no id" }], 1, { connector: "demo", state: '{"cursor":2}' }),
    (error: unknown) =>
      error instanceof RecordError && /record 2 of the page: primary key field "id" is missing/.test(error.message),
  );
  assert.equal(await store.loadState("demo"), '{"cursor":1}');
  await store.close();
  assert.deepEqual(query(file, "SELECT id FROM demo_users"), [{ id: 1 }]);
});

test("tables without a primary key append", async (t) => {
  const file = join(tempDir(t), "s.db");
  const store = SqliteStore.open(file);
  const table = await store.openTable({ ...spec, table: "events", primaryKey: [] });
  await table.write([{ id: 1 }, { id: 1 }], 1);
  assert.deepEqual(await table.write([{ id: 1 }], 1), { inserted: 1, updated: 0, unchanged: 0 });
  await store.close();
  assert.equal(query<{ n: number }>(file, "SELECT count(*) AS n FROM events")[0].n, 3);
});

test("an unwritable database location is reported with its path", async (t) => {
  const dir = tempDir(t);
  const blocker = join(dir, "file");
  (await import("node:fs")).writeFileSync(blocker, "");
  assert.throws(() => SqliteStore.open(join(blocker, "s.db")), /store .*file\/s\.db/);
});

test("a table written when numbers in text columns were REAL text keeps finding its rows by number keys", async (t) => {
  const file = join(tempDir(t), "s.db");
  const text = (name: string) => ({ name, type: "text" as const });
  const codes = {
    ...spec,
    stream: "codes",
    table: "demo_codes",
    columns: [text("code"), text("label")],
    primaryKey: ["code"],
  };
  const store = SqliteStore.open(file);
  await (await store.openTable(codes)).write([{ code: "x", label: "y" }], 1);
  // The store as Sluice left it before 2026-12: no registry column, numbers in text columns as '5.0'.
  store.db.exec(`ALTER TABLE _sluice_tables DROP COLUMN number_keys_as_real;
    UPDATE demo_codes SET code = '5.0', label = '426007689.0'`);
  await store.close();

  const upgraded = SqliteStore.open(file);
  t.after(() => upgraded.close());
  const table = await upgraded.openTable(codes);
  assert.deepEqual(await table.write([{ code: 5, label: 426007689 }], 1), { inserted: 0, updated: 1, unchanged: 0 });
  assert.deepEqual(query(file, "SELECT code, label FROM demo_codes"), [{ code: "5.0", label: "426007689" }]);
  assert.deepEqual(await table.write([deletion({ code: 5 })], 1), {
    inserted: 0,
    updated: 0,
    unchanged: 0,
    deleted: 1,
  });

  // A replacement is a new table, written as every new one is: the key is 5's JSON text from then on.
  const replacing = await upgraded.openTable({ ...codes, replace: true });
  await replacing.write([{ code: 5, label: 1 }], 1);
  await replacing.finish();
  const after = await upgraded.openTable(codes);
  assert.deepEqual(await after.write([{ code: "5", label: 1 }], 1), { inserted: 0, updated: 0, unchanged: 1 });
  assert.deepEqual(query(file, "SELECT code, label FROM demo_codes"), [{ code: "5", label: "1" }]);
});

test("a sync log written before it recorded who runs each sync is read as it is, and gains the record on the next sync", async (t) => {
  const file = join(tempDir(t), "s.db");
  const store = SqliteStore.open(file);
  const first = await store.beginSync("demo", "test");
  store.db.exec("ALTER TABLE _sluice_syncs DROP COLUMN owner"); // the log as Sluice left it before 2026-12
  await store.close();

  const reader = SqliteStore.open(file, { readOnly: true });
  assert.deepEqual(
    (await reader.listSyncs(5)).map((e) => [e.id, e.status, e.owner]),
    [[first, "running", null]],
  );
  await reader.close();
  const owner: SyncOwner = { id: "here", stillRuns: () => true, describe: (id) => id };
  const writer = SqliteStore.open(file);
  t.after(() => writer.close());
  const second = await writer.beginSync("demo", "test", owner); // the old entry, owner unknown, refuses nothing
  assert.deepEqual(
    (await writer.listSyncs(5)).map((e) => [e.id, e.owner]),
    [
      [second, "here"],
      [first, null],
    ],
  );
});

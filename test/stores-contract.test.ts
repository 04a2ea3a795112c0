/**
 * The store contract: the same tests against SQLite, PostgreSQL (a real
 * server, a database of this file's own) and DuckDB (real files). Types,
 * schema evolution, upsert counts, replace, deletes, state in the page's
 * transaction, big integers, name clashes, reserved names, case clashes, a
 * changed primary key, a sync cancelled mid-page.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { DuckDbStore } from "../src/stores/duckdb/store.js";
import { openStore } from "../src/stores/open.js";
import { PostgresStore } from "../src/stores/postgres/store.js";
import { SqliteStore } from "../src/stores/sqlite/store.js";
import { runSync } from "../src/engine/sync.js";
import { tableSpec } from "../src/engine/tables.js";
import type { SourceDriver, StreamDescriptor } from "../src/drivers/types.js";
import {
  deletion,
  type Row,
  RecordError,
  type Store,
  type StoreKind,
  type SyncOwner,
  type TableSpec,
  type TableWriter,
  type WriteCounts,
} from "../src/stores/types.js";
import type { SluiceError } from "../src/errors.js";
import { tempDir } from "./helpers.js";
import { createDatabase, pgUrl } from "./pg-helpers.js";

interface Target {
  kind: StoreKind;
  /** A fresh, empty store location for one test (and the --schema to use with it). */
  fresh(t: { after(fn: () => void): void }): Promise<{ location: string; schema?: string }>;
}

let schemas = 0;
const targets: Target[] = [
  { kind: "sqlite", fresh: async (t) => ({ location: join(tempDir(t), "store.db") }) },
  { kind: "duckdb", fresh: async (t) => ({ location: `duckdb:${join(tempDir(t), "store.duckdb")}` }) },
  {
    kind: "postgres",
    fresh: async () => {
      pgDatabase ??= createDatabase({ after: (drop) => cleanups.push(drop) });
      return { location: pgUrl(await pgDatabase), schema: `contract_${++schemas}` };
    },
  },
];
/** One database for this file, a schema per test. */
let pgDatabase: Promise<string> | undefined;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** Rows of `sql` over the store's own connection; `{t}` stands for the table (qualified), values as text. */
async function rows(store: Store, sql: string, table: string): Promise<Record<string, unknown>[]> {
  if (store instanceof SqliteStore) return store.db.prepare(sql.replaceAll("{t}", `"${table}"`)).all() as Row[];
  if (store instanceof PostgresStore) return store.query(sql.replaceAll("{t}", store.qualified(table)));
  if (store instanceof DuckDbStore) return store.rows(sql.replaceAll("{t}", store.qualified(table)));
  throw new Error("unknown store");
}

/** What a value read back is, comparable across stores: integers as numbers (or text when beyond 2^53). */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

async function column(store: Store, table: string, name: string, order = "id"): Promise<unknown[]> {
  const result = await rows(store, `SELECT "${name}" AS v FROM {t} ORDER BY "${order}"`, table);
  return result.map((r) => plain(r.v));
}

async function textColumn(store: Store, table: string, name: string, order = "id"): Promise<(string | null)[]> {
  const result = await rows(store, `SELECT CAST("${name}" AS TEXT) AS v FROM {t} ORDER BY "${order}"`, table);
  return result.map((r) => (r.v === null ? null : String(r.v)));
}

/** Writes the pages in turn, each with state `after-<index>`, announcing the next as the engine does while one is written. */
async function writeAnnouncingNext(table: TableWriter, pages: Row[][]): Promise<WriteCounts[]> {
  const counts: WriteCounts[] = [];
  for (let i = 0; i < pages.length; i++) {
    const writing = table.write(pages[i], 1, { connector: "c", state: `after-${i}` });
    if (pages[i + 1]) table.upcoming?.(pages[i + 1]);
    counts.push(await writing);
  }
  return counts;
}

const users = (overrides: Partial<TableSpec> = {}): TableSpec => ({
  connector: "demo",
  stream: "users",
  table: "demo_users",
  columns: [
    { name: "id", type: "integer" },
    { name: "name", type: "text" },
  ],
  primaryKey: ["id"],
  ...overrides,
});

for (const target of targets) {
  describe(`${target.kind} store`, () => {
    async function open(t: { after(fn: () => void): void }): Promise<{ store: Store; reopen(): Promise<Store> }> {
      const { location, schema } = await target.fresh(t);
      const stores: Store[] = [];
      const reopen = async () => {
        const store = await openStore(location, { schema });
        stores.push(store);
        return store;
      };
      t.after(async () => {
        for (const store of stores) await store.close();
      });
      return { store: await reopen(), reopen };
    }

    /** A store and a users table keyed by its integer id, with these columns after it. */
    async function openKeyed(t: { after(fn: () => void): void }, columns: TableSpec["columns"]) {
      const { store } = await open(t);
      const table = await store.openTable(users({ columns: [{ name: "id", type: "integer" }, ...columns] }));
      return { store, table };
    }

    test("upserts by primary key and counts inserted, updated and unchanged", async (t) => {
      const { store } = await open(t);
      assert.equal(store.kind, target.kind);
      const table = await store.openTable(users());
      const sync = await store.beginSync("demo", "test");
      assert.deepEqual(
        await table.write(
          [
            { id: 1, name: "a" },
            { id: 2, name: "b" },
          ],
          sync,
        ),
        {
          inserted: 2,
          updated: 0,
          unchanged: 0,
        },
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
        {
          inserted: 1,
          updated: 1,
          unchanged: 1,
        },
      );
      // The same key twice in one page: both applied, in order.
      assert.deepEqual(
        await table.write(
          [
            { id: 3, name: "c2" },
            { id: 3, name: "c3" },
          ],
          sync,
        ),
        {
          inserted: 0,
          updated: 2,
          unchanged: 0,
        },
      );
      assert.deepEqual(await column(store, table.table, "name"), ["a", "B", "c3"]);
      assert.deepEqual(await column(store, table.table, "_sluice_version"), [1, 2, 3]);
    });

    test("counts stay right as pages turn from new keys to existing ones and back, and with key columns alone", async (t) => {
      const { store } = await open(t);
      const table = await store.openTable(users());
      const counts = (inserted: number, updated: number, unchanged: number) => ({ inserted, updated, unchanged });
      assert.deepEqual(await table.write([{ id: 1, name: "a" }], 1), counts(1, 0, 0));
      assert.deepEqual(await table.write([{ id: 1, name: "a" }], 1), counts(0, 0, 1));
      assert.deepEqual(await table.write([{ id: 2, name: "b" }], 1), counts(1, 0, 0));
      assert.deepEqual(await table.write([{ id: 3, name: "c" }], 1), counts(1, 0, 0));
      const mixed = [
        { id: 4, name: "d" },
        { id: 1, name: "A" },
        { id: 2, name: "b" },
      ];
      assert.deepEqual(await table.write(mixed, 1), counts(1, 1, 1));
      assert.deepEqual(await table.write([{ id: 5, name: "e" }], 1), counts(1, 0, 0));
      assert.deepEqual(await column(store, table.table, "name"), ["A", "b", "c", "d", "e"]);
      assert.deepEqual(await column(store, table.table, "_sluice_version"), [2, 1, 1, 1, 1]);

      const keys = await store.openTable(
        users({ stream: "tags", table: "demo_tags", columns: [{ name: "id", type: "integer" }] }),
      );
      assert.deepEqual(await keys.write([{ id: 1 }, { id: 2 }], 1), counts(2, 0, 0));
      assert.deepEqual(await keys.write([{ id: 2 }, { id: 3 }], 1), counts(1, 0, 1));
      assert.deepEqual(await keys.write([{ id: 4 }], 1), counts(1, 0, 0));
      assert.deepEqual(await column(store, keys.table, "id"), [1, 2, 3, 4]);
    });

    test("columns get real types; new fields become columns", async (t) => {
      const { store } = await open(t);
      const spec = users({
        columns: [
          { name: "id", type: "integer" },
          { name: "name", type: "text" },
          { name: "score", type: "real" },
          { name: "active", type: "boolean" },
          { name: "seen", type: "timestamp" },
          { name: "address", type: "json" },
        ],
      });
      const table = await store.openTable(spec);
      await table.write(
        [{ id: 1, name: "a", score: 1.5, active: true, seen: "2024-01-31T10:00:00+02:00", address: { city: "Oslo" } }],
        1,
      );
      await table.write([{ id: 2, name: "b", tags: ["x", "y"], extra: null, count: 7 }], 1);
      assert.deepEqual(await column(store, table.table, "score"), [1.5, null]);
      assert.deepEqual(await column(store, table.table, "count"), [null, 7]);
      const [address] = await textColumn(store, table.table, "address");
      assert.deepEqual(JSON.parse(address!), { city: "Oslo" });
      const tags = await textColumn(store, table.table, "tags");
      assert.deepEqual(JSON.parse(tags[1]!), ["x", "y"]);
      const [active] = await textColumn(store, table.table, "active");
      assert.ok(["1", "true"].includes(active!), `boolean stored as ${active}`);
      if (target.kind !== "sqlite") {
        // A real timestamp type: the instant, whatever offset it came with.
        const [seen] = await rows(
          store,
          `SELECT CAST("seen" AS TIMESTAMP) = TIMESTAMP '2024-01-31 08:00:00' AS v FROM {t} WHERE "id" = 1`,
          table.table,
        );
        assert.equal(seen.v, true);
      }
      assert.ok((await rows(store, `SELECT "extra" FROM {t}`, table.table)).every((r) => "extra" in r));
    });

    test("a value that does not fit its column widens the column instead of failing", async (t) => {
      const { store, table } = await openKeyed(t, [
        { name: "n", type: "integer" },
        { name: "at", type: "timestamp" },
      ]);
      await table.write([{ id: 1, n: 5, at: "2024-01-01T00:00:00Z" }], 1);
      await table.write([{ id: 2, n: "not a number", at: "not a time" }], 1);
      assert.deepEqual(await textColumn(store, table.table, "n"), ["5", "not a number"]);
      assert.equal((await textColumn(store, table.table, "at"))[1], "not a time");
    });

    test("a time zone offset no database takes (beyond ±15:59) makes the timestamp column text, never a failing page", async (t) => {
      const { store, table } = await openKeyed(t, [{ name: "at", type: "timestamp" }]);
      await table.write([{ id: 1, at: "2024-01-01T00:00:00+15:59" }], 1);
      await table.write([{ id: 2, at: "2024-01-01T00:00:00+99:00" }], 1);
      assert.equal((await textColumn(store, table.table, "at"))[1], "2024-01-01T00:00:00+99:00");
    });

    test("a misfit deep in a big page (after part of it went out) widens the column and writes the page once", async (t) => {
      const { store, table } = await openKeyed(t, [{ name: "n", type: "integer" }]);
      const page = Array.from({ length: 1500 }, (_, id) => ({ id, n: id === 1400 ? "late text" : id }));
      assert.deepEqual(await table.write(page, 1, { connector: "c", state: "after-1500" }), {
        inserted: 1500,
        updated: 0,
        unchanged: 0,
      });
      const n = await textColumn(store, table.table, "n");
      assert.equal(n.length, 1500);
      assert.equal(n.filter((v) => v === "late text").length, 1);
      assert.equal(await store.loadState("c"), "after-1500");
    });

    test("integers beyond 2^53 and 2^64 are stored exactly", async (t) => {
      const { store, table } = await openKeyed(t, [{ name: "big", type: "integer" }]);
      const counts = await table.write(
        [
          { id: 9007199254740993n, big: 18446744073709551615n },
          { id: 9007199254740992n, big: "-9223372036854775809" },
          { id: "9007199254740995", big: -4503599627370497n },
        ],
        1,
      );
      assert.deepEqual(counts, { inserted: 3, updated: 0, unchanged: 0 });
      assert.deepEqual(await textColumn(store, table.table, "id"), [
        "9007199254740992",
        "9007199254740993",
        "9007199254740995",
      ]);
      assert.deepEqual(await textColumn(store, table.table, "big"), [
        "-9223372036854775809",
        "18446744073709551615",
        "-4503599627370497",
      ]);
    });

    test('numbers and booleans in text columns are their JSON text, so a key sent as 5 and as "5" is one row', async (t) => {
      const { store } = await open(t);
      const columns = [
        { name: "code", type: "text" },
        { name: "label", type: "text" },
        { name: "doc", type: "json" },
        { name: "loose", type: "any" },
      ] as const;
      const table = await store.openTable(
        users({ stream: "codes", table: "demo_codes", columns: [...columns], primaryKey: ["code"] }),
      );
      const first = [
        { code: 5, label: 426007689, doc: true, loose: 7 },
        { code: 6, label: false, doc: 2.5, loose: 8.5 },
      ];
      assert.deepEqual(await table.write(first, 1), { inserted: 2, updated: 0, unchanged: 0 });
      const again = [{ code: "5", label: "426007689", doc: true, loose: 7 }];
      assert.deepEqual(await table.write(again, 1), { inserted: 0, updated: 0, unchanged: 1 });
      assert.deepEqual(await textColumn(store, table.table, "label", "code"), ["426007689", "false"]);
      assert.deepEqual(await textColumn(store, table.table, "doc", "code"), ["true", "2.5"]);
      assert.deepEqual(await textColumn(store, table.table, "loose", "code"), ["7", "8.5"]);
      await table.write([deletion({ code: 6 })], 1);
      assert.deepEqual(await textColumn(store, table.table, "code", "code"), ["5"]);
    });

    test("a checkpoint is saved with its page; a failed page leaves neither rows nor state", async (t) => {
      const { store, reopen } = await open(t);
      const table = await store.openTable(users());
      await table.write([{ id: 1, name: "a" }], 1, { connector: "demo", state: '{"cursor":1}' });
      await assert.rejects(
        table.write([{ id: 2, name: "b" }, { name: "no id" }], 1, { connector: "demo", state: '{"cursor":2}' }),
        (error: unknown) =>
          error instanceof RecordError && /record 2 of the page: primary key field "id" is missing/.test(error.message),
      );
      assert.equal(await store.loadState("demo"), '{"cursor":1}');
      await store.close();
      const again = await reopen();
      assert.equal(await again.loadState("demo"), '{"cursor":1}');
      assert.deepEqual(await column(again, table.table, "id"), [1]);
    });

    test("state of any text is saved exactly with each page, and a failed page after many keeps the last", async (t) => {
      const { store, reopen } = await open(t);
      const table = await store.openTable(users());
      const states = [
        '{"cursor":1}',
        'it\'s \\ "quoted" \n on two lines',
        "'); DROP TABLE demo_users; --",
        "ünïcødé ✓ $1 ? :name",
        // PostgreSQL's text cannot hold U+0000; the other stores keep it.
        ...(target.kind === "postgres" ? [] : ["with\u0000nul"]),
        '{"cursor":"last"}',
      ];
      for (const [index, state] of states.entries()) {
        await table.write([{ id: index, name: `n${index}` }], 1, { connector: "demo", state });
        assert.equal(await store.loadState("demo"), state);
      }
      await assert.rejects(table.write([{ name: "no id" }], 1, { connector: "demo", state: "never" }), RecordError);
      await store.close();
      const again = await reopen();
      assert.equal(await again.loadState("demo"), states.at(-1));
      assert.equal((await column(again, table.table, "id")).length, states.length);
    });

    test("a value nested too deeply to write as JSON fails its page naming the record and field", async (t) => {
      const { store } = await open(t);
      const table = await store.openTable(users());
      await table.write([{ id: 1, name: "a" }], 1, { connector: "demo", state: '{"cursor":1}' });
      let nested: unknown = [1];
      for (let level = 0; level < 20000; level++) nested = [nested];
      await assert.rejects(
        table.write(
          [
            { id: 2, name: "b" },
            { id: 3, deep: nested },
          ],
          1,
          { connector: "demo", state: '{"cursor":3}' },
        ),
        (error: unknown) =>
          error instanceof RecordError &&
          /record 2 of the page: field "deep" is nested too deeply to be stored as JSON/.test(error.message),
      );
      assert.equal(await store.loadState("demo"), '{"cursor":1}');
      assert.deepEqual(await column(store, table.table, "id"), [1]);
    });

    if (target.kind === "postgres") {
      test("a page the server refuses part way through its COPY fails cleanly: no rows, no state, the connection goes on", async (t) => {
        const { store } = await open(t);
        // An append stream's page is copied straight into its table.
        const table = await store.openTable(
          users({
            columns: [
              { name: "id", type: "integer" },
              { name: "at", type: "timestamp" },
              { name: "pad", type: "text" },
            ],
            primaryKey: [],
          }),
        );
        // Every value Sluice sends is one PostgreSQL takes, so the refusal comes from a check on the
        // table: it stops the COPY at row 600, after chunks went out.
        const at = "2024-01-01T00:00:00Z";
        await table.write([{ id: 0, at, pad: "" }], 1);
        await (store as PostgresStore).query(
          `ALTER TABLE ${(store as PostgresStore).qualified(table.table)} ADD CHECK (id <> 600)`,
        );
        const page = Array.from({ length: 5000 }, (_, id) => ({ id: id + 1, at, pad: "x".repeat(200) }));
        await assert.rejects(table.write(page, 1, { connector: "demo", state: "after" }), /check constraint/);
        assert.equal(await store.loadState("demo"), "");
        assert.deepEqual(await column(store, table.table, "id"), [0]);
        await table.write([{ id: 1, at, pad: "" }], 1, { connector: "demo", state: "next" });
        assert.equal(await store.loadState("demo"), "next");
        assert.deepEqual(await column(store, table.table, "id"), [0, 1]);
      });

      test("numbers beyond numeric's or double precision's range widen their column instead of failing the page every time", async (t) => {
        const { store, table } = await openKeyed(t, [
          { name: "n", type: "numeric" },
          { name: "r", type: "real" },
        ]);
        await table.write([{ id: 1, n: "1e999999", r: "1e400" }], 1);
        assert.deepEqual(await textColumn(store, table.table, "n"), ["1e999999"]);
        assert.deepEqual(await textColumn(store, table.table, "r"), [`1${"0".repeat(400)}`]);
      });
    }

    test("deletes remove rows by key, in page order with upserts", async (t) => {
      const { store } = await open(t);
      const table = await store.openTable(users());
      await table.write(
        [
          { id: 1, name: "a" },
          { id: 2, name: "b" },
        ],
        1,
      );
      const counts = await table.write(
        [deletion({ id: 1 }), { id: 1, name: "again" }, deletion({ id: 2 }), deletion({ id: 9 })],
        1,
      );
      assert.deepEqual(counts, { inserted: 1, updated: 0, unchanged: 0, deleted: 2 });
      assert.deepEqual(await column(store, table.table, "name"), ["again"]);
    });

    test("pages announced ahead (as the engine does while the page before is written) land exactly as unannounced ones", async (t) => {
      const { store, reopen } = await open(t);
      const table = await store.openTable(users({ columns: [...users().columns, { name: "n", type: "integer" }] }));
      const pages: Row[][] = [
        [
          { id: 1, name: "a", n: 1 },
          { id: 2, name: "b", n: 2 },
        ],
        [
          { id: 3, name: "c", n: 3 },
          { id: 1, name: "a", n: 1 },
        ],
        [{ id: 2, name: "b", n: 20 }],
        [{ id: 4, name: "d", n: 4, extra: "new field" }],
        [{ id: 5, name: "e", n: "five" }],
        [{ id: 6, name: "f", n: 6 }, deletion({ id: 1 })],
        [
          { id: 6, name: "f", n: 60 },
          { id: 6, name: "f", n: 61 },
        ],
        [{ id: 7, name: "g", n: 7 }],
      ];
      const counts = await writeAnnouncingNext(table, pages);
      const plainCounts = (inserted: number, updated: number, unchanged: number, deleted?: number) => ({
        inserted,
        updated,
        unchanged,
        ...(deleted === undefined ? {} : { deleted }),
      });
      assert.deepEqual(counts, [
        plainCounts(2, 0, 0),
        plainCounts(1, 0, 1),
        plainCounts(0, 1, 0),
        plainCounts(1, 0, 0),
        plainCounts(1, 0, 0),
        plainCounts(1, 0, 0, 1),
        plainCounts(0, 2, 0),
        plainCounts(1, 0, 0),
      ]);
      assert.deepEqual(await textColumn(store, table.table, "n"), ["20", "3", "4", "five", "61", "7"]);
      assert.deepEqual(await textColumn(store, table.table, "extra"), [null, null, "new field", null, null, null]);
      assert.equal(await store.loadState("c"), "after-7");

      // A page announced but never written never reaches the table, not even when the store closes.
      table.upcoming?.([{ id: 99, name: "never written", n: 99 }]);
      await table.write([{ id: 8, name: "h", n: 8 }], 1);
      await new Promise((resolve) => setImmediate(resolve));
      await store.close();
      const again = await reopen();
      assert.deepEqual(await column(again, table.table, "id"), [2, 3, 4, 5, 6, 7, 8]);
    });

    test("big pages announced ahead land whole, a misfit deep in one is met by its own write, and one let go of mid-way never lands", async (t) => {
      const { store, reopen } = await open(t);
      const table = await store.openTable(users({ columns: [...users().columns, { name: "n", type: "integer" }] }));
      // Pages of several thousand rows: DuckDB appends an announced page a slice at a time, in turns of its own.
      const page = (from: number, count: number): Row[] =>
        Array.from({ length: count }, (_, i) => ({ id: from + i, name: `u${from + i}`, n: from + i }));
      const pages = [page(1, 2500), page(2501, 2500), page(5001, 2500)];
      pages[1][2200] = { ...pages[1][2200], n: "not a number" };
      const counts = await writeAnnouncingNext(table, pages);
      assert.deepEqual(
        counts.map((c) => c.inserted),
        [2500, 2500, 2500],
      );
      const n = await textColumn(store, table.table, "n");
      assert.equal(n.length, 7500);
      assert.equal(n[4700], "not a number");
      assert.equal(n[7499], "7500");

      table.upcoming?.(page(10_001, 2500));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      await store.close();
      const again = await reopen();
      const ids = await column(again, table.table, "id");
      assert.equal(ids.length, 7500);
      assert.equal(ids.at(-1), 7500);
      assert.equal(await again.loadState("c"), "after-2");
    });

    test("tables without a primary key append", async (t) => {
      const { store } = await open(t);
      const table = await store.openTable(users({ primaryKey: [], table: "events", stream: "events" }));
      await table.write([{ id: 1 }, { id: 1 }], 1);
      assert.deepEqual(await table.write([{ id: 1 }], 1), { inserted: 1, updated: 0, unchanged: 0 });
      assert.equal((await column(store, table.table, "id")).length, 3);
    });

    test("a replacing stream takes the table's place only when it finishes, with the checkpoint it held", async (t) => {
      const { store, reopen } = await open(t);
      const first = await store.openTable(users({ replace: true }));
      await first.write(
        [
          { id: 1, name: "old" },
          { id: 2, name: "old" },
        ],
        1,
      );
      await first.finish();
      const second = await store.openTable(users({ replace: true }));
      await second.write([{ id: 3, name: "new" }], 2, { connector: "demo", state: "inside" });
      // Until it finishes: the old rows, and no checkpoint pointing into the staging table.
      assert.deepEqual(await column(store, first.table, "id"), [1, 2]);
      assert.equal(await store.loadState("demo"), "");
      await store.close();
      // A failure (nothing finished): the next open drops the staging table, the old rows stay.
      const after = await reopen();
      assert.equal(await after.loadState("demo"), "");
      const third = await after.openTable(users({ replace: true }));
      await third.write([{ id: 4, name: "new" }], 3, { connector: "demo", state: "done" });
      await third.finish();
      assert.deepEqual(await column(after, third.table, "id"), [4]);
      assert.equal(await after.loadState("demo"), "done");
    });

    test("streams whose names clash get their own tables, kept from one sync to the next", async (t) => {
      const { store, reopen } = await open(t);
      const names = ["Users", "users", "user-events", "user.events", "Заказы", "訂單", "b_c"];
      const tables: string[] = [];
      for (const stream of names) {
        const spec = tableSpec("demo", "demo_", {
          name: stream,
          jsonSchema: { properties: { id: { type: "integer" } } },
          primaryKey: ["id"],
          syncModes: ["incremental"],
        });
        const writer = await store.openTable(spec);
        await writer.write([{ id: 1 }], 1);
        tables.push(writer.table);
      }
      // A connector/stream prefix clash: connector "demo_b" stream "c" vs connector "demo" stream "b_c".
      const prefixClash = await store.openTable({ ...users(), connector: "demo_b", stream: "c", table: "demo_b_c" });
      tables.push(prefixClash.table);
      assert.equal(
        new Set(tables.map((name) => name.toLowerCase())).size,
        tables.length,
        `tables: ${tables.join(", ")}`,
      );
      assert.deepEqual(tables.slice(0, 7), [
        "demo_users",
        "demo_users_2",
        "demo_user_events",
        "demo_user_events_2",
        "demo_заказы",
        "demo_訂單",
        "demo_b_c",
      ]);
      assert.equal(prefixClash.table, "demo_b_c_2");
      await store.close();
      const again = await reopen();
      const reopened = await again.openTable({ ...users(), stream: "users", table: "demo_users" });
      assert.equal(reopened.table, "demo_users_2");
    });

    test("fields named like Sluice's columns, differing only in case, with NUL, or overlong get their own columns", async (t) => {
      const { store, reopen } = await open(t);
      const long = "f".repeat(100);
      const table = await store.openTable(users());
      const row = {
        id: 1,
        name: "lower",
        Name: "upper",
        _sluice_version: "theirs",
        "nul\u0000field": "nul",
        [long]: "long",
        [`${long}x`]: "longer",
      };
      await table.write([row], 1);
      await table.write([{ ...row, id: 2 }], 1);
      const [stored] = await rows(store, 'SELECT * FROM {t} ORDER BY "id"', table.table);
      const values = Object.values(stored).map((v) => plain(v));
      for (const expected of ["lower", "upper", "theirs", "nul", "long", "longer"])
        assert.ok(values.includes(expected), `${expected} in ${JSON.stringify(Object.keys(stored))}`);
      assert.equal(plain(stored._sluice_version), 1);
      assert.equal(stored.field__sluice_version, "theirs");
      // The mapping is kept: the next session writes each field to the same column.
      await store.close();
      const again = await reopen();
      const writer = await again.openTable(users());
      assert.deepEqual(await writer.write([{ ...row, id: 2 }], 2), { inserted: 0, updated: 0, unchanged: 1 });
    });

    test("a changed primary key is detected and explained", async (t) => {
      const { store } = await open(t);
      const table = await store.openTable(users());
      await table.write([{ id: 1, name: "a" }], 1);
      await assert.rejects(
        store.openTable(users({ primaryKey: ["id", "name"] })),
        (error: Error & { code?: string }) =>
          error.code === "PRIMARY_KEY_CHANGED" &&
          /changed from \(id\) to \(id, name\)/.test(error.message) &&
          /--full-refresh/.test(error.message),
      );
      // A replacing stream rebuilds its table, so it may change its key.
      const replaced = await store.openTable(users({ primaryKey: ["id", "name"], replace: true }));
      await replaced.write(
        [
          { id: 1, name: "a" },
          { id: 1, name: "b" },
        ],
        2,
      );
      await replaced.finish();
      assert.equal((await column(store, replaced.table, "id", "name")).length, 2);
    });

    test("what is written between pages (the sync log, a checkpoint alone) is committed at once, as the pages are", async (t) => {
      const { store, reopen } = await open(t);
      const table = await store.openTable(users());
      const id = await store.beginSync("demo", "test");
      await table.write([{ id: 1, name: "a" }], id, { connector: "demo", state: "after-page" });
      await store.saveState("demo", "checkpoint-alone", id);
      await store.finishSync(id, { status: "succeeded", inserted: 1, updated: 0, unchanged: 0, pages: 1 });
      await store.close();
      const again = await reopen();
      assert.equal(await again.loadState("demo"), "checkpoint-alone");
      const [entry] = await again.listSyncs(1);
      assert.equal(entry.status, "succeeded");
      assert.deepEqual(await column(again, table.table, "name"), ["a"]);
    });

    test("the sync log and state", async (t) => {
      const { store } = await open(t);
      const id = await store.beginSync("demo", "test");
      await store.saveState("demo", "s1", id);
      await store.finishSync(id, {
        status: "succeeded",
        inserted: 3,
        updated: 2,
        unchanged: 1,
        pages: 4,
        message: "ok",
      });
      const [entry] = await store.listSyncs(5);
      assert.equal(entry.id, id);
      assert.equal(entry.status, "succeeded");
      assert.deepEqual([entry.pages, entry.inserted, entry.updated, entry.unchanged], [4, 3, 2, 1]);
      assert.match(entry.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      assert.equal(await store.loadState("demo"), "s1");
    });

    test("a connector's sync still running refuses another; one whose owner ended is closed as interrupted; another machine's is judged by its signs of life where kept, else left", async (t) => {
      const { store } = await open(t);
      // Owners as the engine's (src/engine/sync-owner.ts) answer for a running process, an ended one, another machine.
      const answers: Record<string, boolean | undefined> = { alive: true, ended: false, elsewhere: undefined };
      const owner = (id: string): SyncOwner => ({
        id,
        stillRuns: (other) => answers[other],
        describe: (o) => `owner ${o}`,
      });
      const alive = await store.beginSync("demo", "test", owner("alive"));
      await assert.rejects(store.beginSync("demo", "test", owner("ended")), (error: SluiceError) => {
        assert.equal(error.code, "SYNC_ALREADY_RUNNING");
        assert.match(
          error.message,
          new RegExp(`connector "demo" is syncing into it already \\(sync #${alive}, owner alive\\)`),
        );
        return true;
      });
      const other = await store.beginSync("other", "test", owner("alive")); // another connector is no clash
      await store.finishSync(alive, { status: "succeeded", inserted: 0, updated: 0, unchanged: 0, pages: 0 });
      await store.finishSync(other, { status: "succeeded", inserted: 0, updated: 0, unchanged: 0, pages: 0 });

      const died = await store.beginSync("demo", "test", owner("ended"));
      const remote = await store.beginSync("demo", "test", owner("elsewhere")); // the ended owner's entry closed
      const shared = store instanceof PostgresStore;
      if (shared) {
        // Machines share a PostgreSQL store: another's sync is judged by its signs of life (markAlive).
        await assert.rejects(
          store.beginSync("demo", "test", owner("alive")),
          new RegExp(`syncing into it already \\(sync #${remote}, owner elsewhere\\)`),
        );
        const syncs = store.qualified("_sluice_syncs");
        await store.query(`UPDATE ${syncs} SET alive_at = now() - interval '10 minutes' WHERE id = $1`, [remote]);
      }
      const next = await store.beginSync("demo", "test", owner("alive")); // the remote one closed if silent, else left
      const entries = new Map((await store.listSyncs(10)).map((e) => [e.id, e]));
      assert.equal(entries.get(died)?.status, "failed");
      assert.match(entries.get(died)?.error ?? "", /^interrupted: owner ended ended before the sync did/);
      assert.deepEqual(
        [entries.get(remote)?.status, entries.get(next)?.status],
        [shared ? "failed" : "running", "running"],
      );
      if (shared)
        assert.match(
          entries.get(remote)?.error ?? "",
          /^interrupted: owner elsewhere gave no sign of life for 10 minutes/,
        );
      assert.deepEqual([entries.get(remote)?.owner, entries.get(next)?.owner], ["elsewhere", "alive"]);
      assert.ok(!("alive_at" in entries.get(next)!), "the log's entries as before: no alive_at");
    });

    if (target.kind === "postgres")
      test("two syncs of a connector claimed at the same instant from two connections: one runs, the other is refused", async (t) => {
        const { store, reopen } = await open(t);
        const other = await reopen();
        const alive: SyncOwner = { id: "alive", stillRuns: () => true, describe: (id) => id };
        for (const each of [store, other]) await each.beginSync("warm-up", "test"); // both ready before the race
        const claims = await Promise.allSettled([
          store.beginSync("demo", "test", alive),
          other.beginSync("demo", "test", alive),
        ]);
        assert.deepEqual(claims.map((c) => c.status).sort(), ["fulfilled", "rejected"]);
        const refused = claims.find((c) => c.status === "rejected") as PromiseRejectedResult;
        assert.equal((refused.reason as SluiceError).code, "SYNC_ALREADY_RUNNING");
      });

    // Two connections: of two processes' in PostgreSQL, of one process's in SQLite and DuckDB (a server's runs).
    test("two connectors' first syncs into a new store at the same instant, from two connections: both run, and a clashing table name goes to one of them", async (t) => {
      // A race loses only now and then: several fresh stores make a loss near certain without the locks.
      for (let round = 0; round < 5; round++) {
        const { store, reopen } = await open(t);
        const other = await reopen();
        const ids = await Promise.all([store.beginSync("a", "test"), other.beginSync("b", "test")]);
        assert.equal(new Set(ids).size, 2);
        const tables = await Promise.all([
          store.openTable(users({ connector: "a", table: "shared_users" })),
          other.openTable(users({ connector: "b", table: "shared_users" })),
        ]);
        await Promise.all([
          tables[0].write([{ id: 1, name: "from a" }], ids[0]),
          tables[1].write([{ id: 1, name: "from b" }], ids[1]),
        ]);
        const registered = await rows(store, "SELECT table_name AS name FROM {t} ORDER BY connector", "_sluice_tables");
        assert.equal(registered.length, 2);
        assert.notEqual(registered[0].name, registered[1].name, "each connector has a table of its own");
        // A claim and a page of another sync at the same instant: neither waits on the other for ever.
        const [again] = await Promise.all([
          store.beginSync("a", "test"),
          tables[1].write([{ id: 1, name: "from b, again" }], ids[1]),
        ]);
        await store.finishSync(again, { status: "succeeded", inserted: 0, updated: 0, unchanged: 0, pages: 0 });
        await store.close(); // the other goes on: in DuckDB, on the instance they shared
        await tables[1].write([{ id: 2, name: "from b" }], ids[1]);
        await other.finishSync(ids[1], { status: "succeeded", inserted: 2, updated: 0, unchanged: 0, pages: 2 });
        assert.deepEqual((await other.listSyncs(5)).map((entry) => [entry.connector, entry.status]).sort(), [
          ["a", "running"],
          ["a", "succeeded"],
          ["b", "succeeded"],
        ]);
        const [{ n }] = await rows(other, "SELECT COUNT(*) AS n FROM {t}", String(registered[1].name));
        assert.equal(Number(n), 2);
      }
    });

    // The cancel lands as a page's write begins, or a moment into it (inside its transaction, on a server):
    // either way the engine must let that write end before it logs the run's end on the same store connection.
    for (const moment of ["as a page's write begins", "while a page is being written"] as const)
      test(`a sync cancelled ${moment} ends 'cancelled', counting what stayed; state is not ahead of the rows`, async (t) => {
        const { store, reopen } = await open(t);
        const cancel = new AbortController();
        const stop = () => cancel.abort(new Error("cancelled by the test"));
        const driver = pagedSource(1000, (page) => {
          if (page === 2) moment === "as a page's write begins" ? stop() : setTimeout(stop, 3);
        });
        await assert.rejects(
          runSync({ connector: "halted", driver, store, options: "{}", signal: cancel.signal }),
          /sync \d+ of "halted" was cancelled: cancelled by the test/,
        );
        await store.close(); // at once, as the worker does: nothing may still be on its way to the log

        const reader = await reopen();
        const [entry] = await reader.listSyncs(1);
        assert.equal(entry.status, "cancelled");
        const [{ n }] = await rows(reader, "SELECT COUNT(*) AS n FROM {t}", "halted_items");
        assert.equal(entry.inserted, Number(n), "the log counts the rows that stayed");
        const { after } = JSON.parse((await reader.loadState("halted")) || '{"after":0}') as { after: number };
        assert.ok(after <= Number(n), `state (after ${after}) is not ahead of the ${n} rows`);
      });

    test("opened read-only, a store that does not exist is refused and not created", async (t) => {
      const { location, schema } = await target.fresh(t);
      await assert.rejects(
        openStore(location, { schema, readOnly: true }),
        (error: Error & { code?: string }) => error.code === "STORE_NOT_FOUND",
      );
      const writer = await openStore(location, { schema });
      assert.equal(await writer.loadState("x"), "");
      assert.deepEqual(await writer.listSyncs(1), []);
      assert.equal(await writer.exists(), false);
      await writer.close();
      await assert.rejects(openStore(location, { schema, readOnly: true }));
    });
  });
}

describe("duckdb store's memory", () => {
  test("a page bigger than the memory limit it starts with is written once the limit grows, checkpoint included", async (t) => {
    const store = await openStore(`duckdb:${join(tempDir(t), "big.duckdb")}`);
    t.after(() => store.close());
    const columns: TableSpec["columns"] = [
      { name: "id", type: "integer" },
      { name: "doc", type: "json" },
    ];
    const table = await store.openTable(users({ stream: "docs", table: "docs", columns }));
    const text = "x".repeat(200_000);
    const page = Array.from({ length: 100 }, (_, id) => ({ id, doc: { id, text } }));
    assert.deepEqual(await table.write(page, 1, { connector: "demo", state: "1" }), {
      inserted: 100,
      updated: 0,
      unchanged: 0,
    });
    assert.equal(await store.loadState("demo"), "1");
    const [{ n }] = await rows(store, "SELECT count(*) AS n FROM {t}", "docs");
    assert.equal(Number(n), 100);
  });

  test("a transaction whose COMMIT runs out of memory fails once, and one that runs out before it is run again", async (t) => {
    const store = await DuckDbStore.open(join(tempDir(t), "commit.duckdb"));
    t.after(() => store.close());
    await store.run("CREATE TABLE t (id INTEGER)");
    const outOfMemory = "SELECT error('Out of Memory Error: could not allocate block of size 256.0 KiB');";
    let runs = 0;
    const insert = (id: number) => async () => {
      runs++;
      await store.run(`INSERT INTO t VALUES (${id})`);
    };
    // Raised in the COMMIT's own trip: a retry could write the page twice, so the page fails.
    await assert.rejects(
      store.withMemory(() => store.transaction(insert(1), outOfMemory)),
      (error: SluiceError) => {
        assert.equal(error.code, "STORE_FAILED");
        assert.match(
          error.message,
          /COMMIT failed, so its rows and its checkpoint were not kept: .*Out of Memory Error/,
        );
        return true;
      },
    );
    assert.equal(runs, 1);
    // Raised while the transaction writes: rolled back whole, so it runs again with more memory.
    runs = 0;
    await store.withMemory(() =>
      store.transaction(async () => {
        await insert(2)();
        if (runs === 1) await store.run(outOfMemory);
      }),
    );
    assert.equal(runs, 2);
    assert.deepEqual(await store.run("SELECT id FROM t"), [[2]]);
  });

  test("three stores of one file writing side by side (a server's runs) each commit every page", async (t) => {
    const location = `duckdb:${join(tempDir(t), "shared.duckdb")}`;
    // At 24 MB for the one instance they share, about one run in three failed a COMMIT for want of a block.
    const syncOf = async (connector: string) => {
      const store = await openStore(location);
      t.after(() => store.close());
      const table = await store.openTable(users({ connector, table: `${connector}_users` }));
      for (let page = 0; page < 30; page++) {
        const records = Array.from({ length: 5000 }, (_, i) => ({
          id: page * 5000 + i,
          name: `${"x".repeat(300)}${i}`,
        }));
        await table.write(records, 1, { connector, state: String(page) });
      }
      return { store, table: table.table };
    };
    // All settled before any store closes: closing the shared instance under another's write would hang.
    for (const synced of await Promise.allSettled(["a", "b", "c"].map(syncOf))) {
      assert.equal(synced.status, "fulfilled", synced.status === "rejected" ? String(synced.reason) : "");
      const { store, table } = (synced as PromiseFulfilledResult<{ store: Store; table: string }>).value;
      const [{ n }] = await rows(store, "SELECT count(*) AS n FROM {t}", table);
      assert.equal(Number(n), 150_000, table);
    }
  });
});

/**
 * A source of `pages` pages of 10 items, each carrying its position as state; `writing(page)` runs as
 * the page's write has begun and before it is awaited. Like a connector behind a pipe, it lets the
 * event loop turn between pages.
 */
function pagedSource(pages: number, writing: (page: number) => void): SourceDriver {
  const stream: StreamDescriptor = {
    name: "items",
    jsonSchema: { properties: { id: { type: "integer" }, name: { type: "string" } } },
    primaryKey: ["id"],
    syncModes: ["incremental"],
  };
  return {
    protocol: "test",
    spec: async () => ({ name: "paged", version: "1", description: "pages of items" }),
    check: async () => ({ ok: true, errors: [] }),
    discover: async () => [stream],
    read: async (_request, sink) => {
      for (let page = 1; page <= pages; page++) {
        const ids = Array.from({ length: 10 }, (_, i) => (page - 1) * 10 + i + 1);
        const rows = ids.map((id) => ({ id, name: `item ${id}` }));
        const written = sink.page({ stream: "items", rows, checkpoint: JSON.stringify({ after: page * 10 }) });
        writing(page);
        await written;
        await new Promise(setImmediate);
      }
      return {};
    },
    close: async () => {},
  };
}

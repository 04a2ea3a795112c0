/**
 * A full disk, for real: the database lives on a 1 MiB tmpfs (needs root, as
 * on CI and the dev machines; skipped elsewhere, but a failure under CI=true,
 * where the test must run). The sync fails naming the store and the cause; the
 * pages committed before stay readable. And the same through the store's own
 * API, page by page.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { SqliteStore } from "../src/stores/sqlite/store.js";
import { query, root, sluice, smallDisk } from "./helpers.js";

/** A tmpfs of `size`, removed after the test; undefined (the test skipped) where none can be mounted, except on CI. */
function mountSmallDisk(t: TestContext, size: string): { dir: string } | undefined {
  const disk = smallDisk(size);
  if (!disk) {
    if (process.env.CI === "true") assert.fail("cannot mount a tmpfs, and CI must run this test (run it as root)");
    t.skip("cannot mount a tmpfs here (not root)");
    return undefined;
  }
  t.after(() => disk.remove());
  return disk;
}

test("a full disk fails the sync with a clear message and keeps what was committed", async (t) => {
  const disk = mountSmallDisk(t, "1m");
  if (!disk) return;
  const db = join(disk.dir, "s.db");
  const connector = `node ${join(root, "test/fixtures/scripted-connector.mjs")}`;
  const result = await sluice([
    "sync",
    "-c",
    connector,
    "-o",
    '{"pages": 200, "page_size": 1000}',
    "--db",
    db,
    "--no-progress",
  ]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /the disk is full; nothing of the failed page was written, earlier pages are kept/);
  const [{ n }] = query<{ n: number }>(db, "SELECT count(*) AS n FROM scripted_connector_items");
  assert.ok(n > 0 && n % 1000 === 0, `whole pages only, got ${n} rows`);
});

test("SQLITE_FULL in the store: the page fails naming the full disk, the pages before it stay", async (t) => {
  const disk = mountSmallDisk(t, "256k");
  if (!disk) return;
  const file = join(disk.dir, "s.db");
  const store = SqliteStore.open(file);
  const table = await store.openTable({
    connector: "full",
    stream: "items",
    table: "full_items",
    columns: [
      { name: "id", type: "integer" as const },
      { name: "text", type: "text" as const },
    ],
    primaryKey: ["id"],
  });
  const sync = await store.beginSync("full", "test");
  const page = (from: number) => Array.from({ length: 50 }, (_, i) => ({ id: from + i, text: "x".repeat(1000) }));
  let written = 0;
  // Pages of 50 kB on a 256 kB disk: a few fit, then one fails as a whole.
  const failure = await (async () => {
    for (;;) {
      try {
        await table.write(page(written), sync);
        written += 50;
      } catch (error) {
        return error as Error;
      }
    }
  })();
  assert.match(failure.message, /the disk is full; nothing of the failed page was written, earlier pages are kept/);
  assert.ok(written > 0, "the first page fits");
  await store.close();
  assert.deepEqual(query(file, "SELECT count(*) AS n, max(id) AS last FROM full_items"), [
    { n: written, last: written - 1 },
  ]);
});

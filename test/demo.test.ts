/**
 * `npm run demo` twice: the second run finds everything it synced the first
 * time `unchanged` (README: "Run it twice"), also the files of this repository,
 * which are the ones git tracks (a virtual environment or node_modules appearing
 * between runs changes nothing).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { query, root, run, tempDir } from "./helpers.js";

interface SyncRow {
  connector: string;
  status: string;
  inserted: number;
  updated: number;
  unchanged: number;
}

test("npm run demo twice: the second run inserts and updates nothing", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "demo.db");
  const env = { ...process.env, SLUICE_DB: db, SLUICE_HOME: join(dir, "home"), TMPDIR: dir };
  const demo = () => run(process.execPath, [join(root, "scripts/demo.mjs")], { env, timeoutMs: 600_000 });
  const first = await demo();
  assert.equal(first.code, 0, first.stderr);
  const firstRuns = query<SyncRow>(db, "SELECT * FROM _sluice_syncs ORDER BY id");
  const files = firstRuns.find((r) => r.connector === "files");
  assert.ok(files && files.inserted > 0, "the files of the repository were synced");
  const tracked = await run("git", ["-C", root, "ls-files"]);
  if (tracked.code === 0) {
    // only what git tracks (or would), never node_modules or a virtual environment
    const count = query<{ n: number }>(db, "SELECT count(*) AS n FROM files_objects")[0].n;
    const paths = query<{ remote_id: string }>(db, "SELECT remote_id FROM files_objects").map((r) => r.remote_id);
    assert.ok(!paths.some((p) => p.startsWith("node_modules/") || p.startsWith(".venv")), "no ignored files");
    assert.ok(count <= tracked.stdout.split("\n").length + 50, `about the tracked files, got ${count}`);
  }

  const second = await demo();
  assert.equal(second.code, 0, second.stderr);
  const secondRuns = query<SyncRow>(db, "SELECT * FROM _sluice_syncs ORDER BY id").slice(firstRuns.length);
  assert.equal(secondRuns.length, firstRuns.length, "the second run syncs the same connectors");
  for (const run of secondRuns) {
    assert.equal(run.status, "succeeded", `${run.connector}: ${JSON.stringify(run)}`);
    assert.deepEqual([run.connector, run.inserted, run.updated], [run.connector, 0, 0], JSON.stringify(run));
  }
  assert.ok(secondRuns.find((r) => r.connector === "files")!.unchanged > 0);
});

/**
 * A full disk, for real: the database lives on a 1 MiB tmpfs (needs root, as
 * on CI and the dev machines; skipped elsewhere). The sync fails naming the
 * store and the cause; the pages committed before stay readable.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { query, root, sluice } from "./helpers.js";

function mountTinyDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "sluice-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

test("a full disk fails the sync with a clear message and keeps what was committed", async (t) => {
  const disk = mountTinyDisk();
  if (!disk) return t.skip("cannot mount a tmpfs here (not root)");
  t.after(() => {
    execFileSync("umount", [disk]);
    rmSync(disk, { recursive: true, force: true });
  });
  const db = join(disk, "s.db");
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

/**
 * Singer taps through the CLI, with a tap written to the Singer spec:
 * discovery (a pretty-printed catalog), selection, SCHEMA/RECORD/STATE, state
 * saved only with the records before it, resume from the bookmark without
 * duplicates, a crash mid-sync.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { query, root, sluice, tempDir } from "./helpers.js";

const tap = `node ${join(root, "test/fixtures/singer/tap-scripted.mjs")}`;

function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

test("a Singer tap: discover, sync every stream, then resume from the saved bookmark", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "s.db");
  const discovered = await sluice([
    "singer",
    "discover",
    "-c",
    tap,
    "--config",
    writeJson(dir, "c.json", { users: 0 }),
  ]);
  assert.equal(discovered.code, 0, discovered.stderr);
  assert.deepEqual(
    JSON.parse(discovered.stdout).streams.map((s: { stream: string }) => s.stream),
    ["users", "events"],
  );

  const first = await sluice([
    "--json",
    "singer",
    "sync",
    "-c",
    tap,
    "--config",
    writeJson(dir, "c1.json", { users: 250, stateEvery: 100, events: 3 }),
    "--db",
    db,
    "--name",
    "t",
  ]);
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.equal(summary.protocol, "singer");
  assert.deepEqual([summary.streams.users.inserted, summary.streams.events.inserted], [250, 3]);
  assert.deepEqual(JSON.parse(query<{ state: string }>(db, "SELECT state FROM _sluice_state")[0].state), {
    bookmarks: { users: { id: 250 } },
  });

  const second = JSON.parse(
    (
      await sluice([
        "--json",
        "singer",
        "sync",
        "-c",
        tap,
        "--config",
        writeJson(dir, "c2.json", { users: 300, stateEvery: 100 }),
        "--db",
        db,
        "--name",
        "t",
        "--streams",
        "users",
      ])
    ).stdout,
  );
  assert.equal(second.streams.users.inserted, 50, "read after the bookmark (250)");
  assert.deepEqual(query<{ n: number }>(db, "SELECT count(*) AS n, count(DISTINCT id) AS d FROM t_users")[0], {
    n: 300,
    d: 300,
  });
});

test("a tap that crashes mid-sync keeps the records before its last STATE and that bookmark", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "s.db");
  const result = await sluice([
    "singer",
    "sync",
    "-c",
    tap,
    "--config",
    writeJson(dir, "c.json", { users: 500, stateEvery: 100, failAfter: 230 }),
    "--db",
    db,
    "--name",
    "t",
    "--streams",
    "users",
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /Singer tap "t" \(sync\) exited with code 1; its last output:\n(.|\n)*CRITICAL connection reset by peer/,
  );
  assert.ok(query(db, "SELECT id FROM t_users").length >= 200);
  assert.deepEqual(JSON.parse(query<{ state: string }>(db, "SELECT state FROM _sluice_state")[0].state), {
    bookmarks: { users: { id: 200 } },
  });
});

test("a catalog selects the streams; discovery failures show the tap's output", async (t) => {
  const dir = tempDir(t);
  const discovered = JSON.parse(
    (await sluice(["singer", "discover", "-c", tap, "--config", writeJson(dir, "c.json", { users: 0 })])).stdout,
  );
  discovered.streams[1].metadata[0].metadata.selected = true;
  const db = join(dir, "s.db");
  const summary = JSON.parse(
    (
      await sluice([
        "--json",
        "singer",
        "sync",
        "-c",
        tap,
        "--config",
        writeJson(dir, "c2.json", { users: 5, stateEvery: 2, events: 4, catalogFlag: "--properties" }),
        "--catalog",
        writeJson(dir, "catalog.json", discovered),
        "--db",
        db,
        "--properties",
      ])
    ).stdout,
  );
  assert.deepEqual(Object.keys(summary.streams), ["events"]);
  assert.equal(summary.streams.events.inserted, 4);
  const failed = await sluice(["singer", "sync", "-c", tap, "--config", writeJson(dir, "bad.json", {}), "--db", db]);
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /Singer tap "tap-scripted" `--discover` exited with code 1; its last output:\nCRITICAL config is missing 'users'/,
  );
});

/**
 * Integers beyond 2^53 arrive and are stored exactly, end to end: a native
 * connector's JSON and columnar pages, an Airbyte source's lines, a Qlik
 * connector's sint64 values (both revisions), and Sluice's own Qlik server
 * sending them back. Two records keyed 9007199254740993 and 9007199254740992
 * are two rows. And a Qlik load that brings no fields fails, leaving the
 * table as it was.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { root, sluice, sluiceJson, tempDir } from "./helpers.js";
import { generatePythonPeers, serveQlik, startPythonConnector } from "./qlik-helpers.js";

/** The Qlik fixture's values, in ascending order. */
const QLIK_BIG = [-(2n ** 63n), -4503599627370497n, 9007199254740992n, 9007199254740993n, 2n ** 63n - 1n];

/** Every value of `column` in ascending order, as bigints where SQLite holds integers (no rounding on the way out either). */
function exactColumn(db: string, table: string, column: string): unknown[] {
  const database = new Database(db, { readonly: true });
  try {
    return database
      .prepare(`SELECT "${column}" AS v FROM "${table}" ORDER BY v`)
      .safeIntegers(true)
      .all()
      .map((row) => (row as { v: unknown }).v);
  } finally {
    database.close();
  }
}

test("a native connector's JSON and columnar pages: ids past 2^53 are distinct rows, stored exact", async (t) => {
  const dir = tempDir(t);
  const scripted = `node ${join(root, "test/fixtures/scripted-connector.mjs")}`;
  for (const columnar of [false, true]) {
    const db = join(dir, `native-${columnar}.db`);
    const options = JSON.stringify({ pages: 1, page_size: 4, columnar, id_base: "9007199254740990" });
    const summary = await sluiceJson<{ inserted: number }>(["sync", "-c", scripted, "-o", options, "--db", db]);
    assert.equal(summary.inserted, 4, `columnar ${columnar}`);
    assert.deepEqual(exactColumn(db, "scripted_connector_items", "id"), [
      9007199254740990n,
      9007199254740991n,
      9007199254740992n,
      9007199254740993n,
    ]);
  }
});

test("an Airbyte source's records keyed 9007199254740993 and 9007199254740992 are two rows", async (t) => {
  const dir = tempDir(t);
  const config = join(dir, "config.json");
  writeFileSync(
    config,
    JSON.stringify({ records: 2, stateEvery: 2, bigIds: ["9007199254740993", "9007199254740992"] }),
  );
  const db = join(dir, "a.db");
  const scripted = `node ${join(root, "test/fixtures/airbyte/scripted-source.mjs")}`;
  const summary = await sluiceJson<{ inserted: number }>([
    "airbyte",
    "sync",
    "-c",
    scripted,
    "--config",
    config,
    "--db",
    db,
    "--streams",
    "items",
  ]);
  assert.equal(summary.inserted, 2);
  assert.deepEqual(exactColumn(db, "scripted_source_items", "id"), [9007199254740992n, 9007199254740993n]);
});

test("Qlik: int8 values past 2^53 arrive exact over both revisions, and Sluice's server sends them back exact", async (t) => {
  const dir = tempDir(t);
  const connector = await startPythonConnector(t, generatePythonPeers(t));
  for (const revision of ["connect", "a"]) {
    const db = join(dir, `${revision}.db`);
    const args = ["--qlik", connector.address, "--qlik-revision", revision, "--statement", "big", "--db", db];
    const summary = await sluiceJson<{ inserted: number }>(["sync", ...args]);
    assert.equal(summary.inserted, QLIK_BIG.length, revision);
    assert.deepEqual(exactColumn(db, "qlik_numbers", "n"), QLIK_BIG, revision);
  }

  const served = await serveQlik(t, join(dir, "connect.db"));
  for (const revision of ["connect", "a"]) {
    const db = join(dir, `back-${revision}.db`);
    const statement = "SELECT * FROM qlik_numbers";
    const args = ["--qlik", served.address, "--qlik-revision", revision, "--statement", statement, "--db", db];
    await sluiceJson(["sync", ...args]);
    assert.deepEqual(exactColumn(db, "qlik_qlik_numbers", "n"), QLIK_BIG, `served back over ${revision}`);
  }
});

test("Qlik: a GetData with no fields fails the load and leaves the table as it was", async (t) => {
  const dir = tempDir(t);
  const connector = await startPythonConnector(t, generatePythonPeers(t));
  const db = join(dir, "q.db");
  const load = (statement: string) =>
    sluice(["sync", "--qlik", connector.address, "--statement", statement, "--db", db]);
  assert.equal((await load("big")).code, 0);
  const failed = await load("no-fields");
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /GetData answered with a header of no fields .*existing tables are unchanged/);
  assert.deepEqual(exactColumn(db, "qlik_numbers", "n"), QLIK_BIG);
  assert.deepEqual(exactColumn(db, "qlik_numbers", "label").length, QLIK_BIG.length);
});

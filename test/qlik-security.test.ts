/**
 * `sluice serve qlik` as something a network may reach: who may call
 * (tokens from the database, or client certificates), what is never served
 * (Sluice's and SQLite's tables, through any form of statement), what is
 * never run (a client's shell command; live sources only when allowed, only
 * installed connectors), what a client never sees (a connector's output),
 * and a deadline no query escapes (a WITH RECURSIVE bomb is killed while the
 * server goes on answering).
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { examples, processTree, sluice, tempDir, until } from "./helpers.js";
import { generatePythonPeers, pythonRead, serveQlik } from "./qlik-helpers.js";
import { createDatabase, pgUrl } from "./pg-helpers.js";
import { installOk, useTempHome, writeManifest } from "./registry-helpers.js";

/** A store as Sluice leaves it: a synced table with its bookkeeping (_sluice_state, _sluice_syncs …), plus a user's table and view. */
async function syncedStore(dir: string): Promise<string> {
  const db = join(dir, "store.db");
  const synced = await sluice(["sync", "-c", examples.goGenerator, "-o", '{"count": 20}', "--db", db, "--name", "gen"]);
  assert.equal(synced.code, 0, synced.stderr);
  const handle = new Database(db);
  handle.exec(
    "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO people VALUES (1, 'Ada'), (2, 'Grace');" +
      "CREATE VIEW sneaky AS SELECT state AS name FROM _sluice_state;",
  );
  handle.close();
  return db;
}

test("only callers with a live token get in: none, a made-up one and a revoked one are refused before the statement is read", async (t) => {
  const dir = tempDir(t);
  const db = await syncedStore(dir);
  const generated = generatePythonPeers(t);
  const server = await serveQlik(t, db, [], { auth: "token" });
  const statement = "SELECT name FROM people ORDER BY id";
  const read = (token?: string) =>
    pythonRead(generated, server.address, "connect", statement, token ? ["--token", token] : []);
  assert.deepEqual((await read(server.token)).rows, [["Ada"], ["Grace"]]);
  for (const token of [undefined, "sluice_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]) {
    const refused = await read(token);
    assert.equal(refused.error?.code, "UNAUTHENTICATED", String(token));
    assert.match(refused.error?.details ?? "", /this server needs a token/);
  }
  const revoked = await sluice(["server", "token", "revoke", "test", "--db", db]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((await read(server.token)).error?.code, "UNAUTHENTICATED", "a revoked token stops working at once");
  const sync = await sluice(["sync", "--qlik", server.address, "--statement", statement, "--db", join(dir, "t.db")]);
  assert.match(sync.stderr, /UNAUTHENTICATED: this server needs a token/);
});

test("Sluice's and SQLite's tables are never served: not by name, not in the table list, not through a subquery, a join, a view or a pragma function", async (t) => {
  const dir = tempDir(t);
  const db = await syncedStore(dir);
  const generated = generatePythonPeers(t);
  const server = await serveQlik(t, db);
  const refused: [string, string, RegExp][] = [
    [
      "SELECT * FROM _sluice_state",
      "NOT_FOUND",
      /no table or view "_sluice_state" in the served store; it has gen_users, people, sneaky$/,
    ],
    ["SELECT * FROM sqlite_schema", "NOT_FOUND", /no table or view "sqlite_schema"/],
    ['SELECT * FROM "_SLUICE_SYNCS"', "NOT_FOUND", /no table or view "_SLUICE_SYNCS"/],
    [
      "SELECT name FROM people WHERE name IN (SELECT state FROM _sluice_state)",
      "INVALID_ARGUMENT",
      /reads Sluice's own tables or the database's catalog/,
    ],
    [
      "SELECT name FROM people WHERE id > (SELECT count(*) FROM sqlite_master)",
      "INVALID_ARGUMENT",
      /reads Sluice's own tables or the database's catalog/,
    ],
    ["SELECT * FROM sneaky", "INVALID_ARGUMENT", /reads Sluice's own tables or the database's catalog/],
    [
      "SELECT name FROM people WHERE id IN (SELECT p.id FROM people p JOIN _sluice_syncs s ON s.id = p.id)",
      "INVALID_ARGUMENT",
      /reads Sluice's own/,
    ],
    [
      "SELECT name FROM people WHERE name IN (SELECT name FROM pragma_table_info('_sluice_state'))",
      "INVALID_ARGUMENT",
      /reads table-valued pragma functions/,
    ],
    [
      'SELECT name FROM people WHERE name IN (SELECT name FROM "PRAGMA_table_list")',
      "INVALID_ARGUMENT",
      /reads table-valued pragma functions/,
    ],
  ];
  for (const [statement, code, message] of refused) {
    const read = await pythonRead(generated, server.address, "connect", statement);
    assert.equal(read.error?.code, code, statement);
    assert.match(read.error?.details ?? "", message, statement);
  }
  const allowed = await pythonRead(
    generated,
    server.address,
    "a",
    "SELECT name FROM people WHERE name <> '_sluice_state'",
  );
  assert.deepEqual(allowed.rows, [["Ada"], ["Grace"]], "the name as a string literal is just a value");
});

test("PostgreSQL and DuckDB stores hide the same: Sluice's tables, the catalog, and (DuckDB) the server's files", async (t) => {
  const dir = tempDir(t);
  const generated = generatePythonPeers(t);
  const database = await createDatabase(t);
  for (const db of [pgUrl(database), `duckdb:${join(dir, "served.duckdb")}`]) {
    const options = JSON.stringify({ count: 3 });
    const synced = await sluice(["sync", "-c", examples.goGenerator, "-o", options, "--db", db, "--name", "gen"]);
    assert.equal(synced.code, 0, synced.stderr);
    const server = await serveQlik(t, db);
    const read = (statement: string) => pythonRead(generated, server.address, "connect", statement);
    const hidden = await read("SELECT * FROM _sluice_state");
    assert.equal(hidden.error?.code, "NOT_FOUND", db);
    assert.match(
      hidden.error?.details ?? "",
      /no table or view "_sluice_state" in the served store; it has gen_users$/,
      db,
    );
    const catalog = db.startsWith("duckdb:")
      ? ["SELECT count(*) FROM duckdb_tables()", "SELECT count(*) FROM information_schema.tables"]
      : ["SELECT count(*) FROM pg_class", "SELECT count(*) FROM information_schema.tables"];
    const syncs = db.startsWith("duckdb:") ? "_sluice_syncs" : "sluice._sluice_syncs"; // PostgreSQL's store schema
    for (const subquery of [`SELECT count(*) FROM ${syncs}`, ...catalog]) {
      const refused = await read(`SELECT name FROM gen_users WHERE id > (${subquery})`);
      assert.equal(refused.error?.code, "INVALID_ARGUMENT", `${db}: ${subquery}`);
      assert.match(refused.error?.details ?? "", /reads Sluice's own tables or the database's catalog/, subquery);
    }
    if (db.startsWith("duckdb:")) {
      const file = await read(
        "SELECT name FROM gen_users WHERE name IN (SELECT content FROM read_text('/etc/hostname'))",
      );
      assert.equal(file.error?.code, "INVALID_ARGUMENT");
      assert.match(file.error?.details ?? "", /file system operations are disabled/);
    }
    assert.equal((await read("SELECT name FROM gen_users")).rows?.length, 3, db);
  }
});

test("a WITH RECURSIVE bomb is killed at --timeout while the server goes on answering, and leaves no process behind", async (t) => {
  const dir = tempDir(t);
  const db = await syncedStore(dir);
  const generated = generatePythonPeers(t);
  // Long enough for the other call to fork its own query process on a loaded machine.
  const server = await serveQlik(t, db, ["--timeout", "12"]);
  const bomb =
    "SELECT name FROM people WHERE id = (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c)";
  const exploding = pythonRead(generated, server.address, "connect", bomb);
  // While the bomb runs (its own process), another call is answered.
  await until(() => processTree(server.process.pid!).length > 1, "the bomb's query process");
  const meanwhile = await pythonRead(generated, server.address, "a", "SELECT name FROM people ORDER BY id");
  assert.deepEqual(meanwhile.rows, [["Ada"], ["Grace"]], JSON.stringify(meanwhile.error));
  const stopped = await exploding;
  assert.equal(stopped.error?.code, "DEADLINE_EXCEEDED");
  assert.match(stopped.error?.details ?? "", /ran longer than the server's limit \(--timeout 12 s\) and was stopped/);
  await until(() => processTree(server.process.pid!).length === 1, "the bomb's process to be gone");
});

test("live sources are off by default; with --live-sources only installed connectors run, never a client's command, and their output stays on the server", async (t) => {
  const dir = tempDir(t);
  const db = await syncedStore(dir);
  const generated = generatePythonPeers(t);
  useTempHome(t);
  await installOk(
    writeManifest(dir, { name: "gen", source: "Local", uri: examples.goGenerator, command: "./generator" }),
  );
  const pwned = join(dir, "pwned");
  const command = JSON.stringify({ command: `touch ${pwned}`, stream: "users" });
  const live = JSON.stringify({ connector: "gen", stream: "users", options: { count: 5 } });

  const off = await serveQlik(t, db);
  const notAllowed = await pythonRead(generated, off.address, "connect", live);
  assert.equal(notAllowed.error?.code, "PERMISSION_DENIED");
  assert.match(notAllowed.error?.details ?? "", /live sources are off on this server/);

  const on = await serveQlik(t, db, ["--live-sources", "gen"]);
  const ran = await pythonRead(generated, on.address, "connect", command);
  assert.equal(ran.error?.code, "INVALID_ARGUMENT");
  assert.match(ran.error?.details ?? "", /"command" is never run/);
  assert.equal(existsSync(pwned), false, "the client's command never ran");
  assert.equal((await pythonRead(generated, on.address, "connect", live)).rows?.length, 5);
  const other = await pythonRead(generated, on.address, "connect", JSON.stringify({ connector: "other" }));
  assert.equal(other.error?.code, "PERMISSION_DENIED");
  assert.match(other.error?.details ?? "", /no live source named "other" is served here \(allowed: gen\)/);

  const crash = JSON.stringify({
    connector: "gen",
    options: { count: 500, page_size: 10, fail_after_pages: 1 },
    stream: "users",
  });
  const crashed = await pythonRead(generated, on.address, "connect", crash);
  assert.equal(crashed.error?.code, "INTERNAL");
  assert.match(
    crashed.error?.details ?? "",
    /GetData failed on the server; its log has the details \(reference [0-9a-f]{8}\)/,
  );
  assert.doesNotMatch(crashed.error?.details ?? "", /failing on purpose|stderr|\/work|\/tmp/);
  const reference = /reference ([0-9a-f]{8})/.exec(crashed.error?.details ?? "")?.[1] ?? "";
  await until(() => on.stderr().includes(reference), "the failure in the server's log");
  assert.match(on.stderr(), /failing on purpose after 1 pages/, "the server's log keeps the connector's output");
});

test("--no-auth is refused off loopback, and a server reachable from other machines without TLS says so loudly", async (t) => {
  const db = await syncedStore(tempDir(t));
  const open = await sluice(["serve", "qlik", "--listen", "0.0.0.0:0", "--db", db, "--no-auth"]);
  assert.equal(open.code, 1);
  assert.match(open.stderr, /--no-auth admits everyone: it is only allowed on a loopback address, not 0\.0\.0\.0:0/);
  const wide = await serveQlikOn(t, db, "0.0.0.0:0");
  assert.match(wide, /LISTENING ON 0\.0\.0\.0:0 WITHOUT TLS/);
});

/** Starts `sluice serve qlik --listen <address>` with token auth and returns what it logged before listening. */
async function serveQlikOn(t: { after(fn: () => void): void }, db: string, listen: string): Promise<string> {
  const served = await serveQlik(t, db, ["--listen", listen], { auth: "token" });
  return served.stderr();
}

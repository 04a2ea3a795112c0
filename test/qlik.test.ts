/**
 * Qlik GetData end to end, on 127.0.0.1 with real SQLite files: Sluice serves
 * and Sluice loads back (both revisions); a Python grpcio client generated
 * from the published contract reads Sluice; Sluice loads a Python grpcio
 * connector; live connector reads through the JSON statement form.
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { QlikDriver } from "../src/drivers/qlik/driver.js";
import { examples, query, sluice, sluiceJson, tempDir, until } from "./helpers.js";
import { generatePythonPeers, pythonRead, serveQlik, startPythonConnector } from "./qlik-helpers.js";
import { installOk, useTempHome, writeManifest } from "./registry-helpers.js";

const BIG_TEXT = "x".repeat(100_000);
const GENERATED_ROWS = 20_000;

/** A store table Sluice did not create: declared types, nulls, empty strings, a 100 KB text, and enough rows for many chunks. */
function sourceStore(dir: string): string {
  const file = join(dir, "source.db");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec(
    "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, score REAL, born DATE, seen DATETIME, n INTEGER, anything)",
  );
  const insert = db.prepare("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?)");
  db.transaction(() => {
    // BigInt binds as an INTEGER; a JavaScript number would land in the untyped column as a REAL.
    insert.run(1, "Ada", 1.5, "1815-12-10", "2024-01-02T03:04:05Z", Number.MAX_SAFE_INTEGER, 5n);
    insert.run(2, null, null, null, null, null, null);
    insert.run(3, "", -0.1, "2000-02-29", "2000-02-29 12:00:00", -5, "text");
    insert.run(4, "Zoë ✓", 1e300, "1970-01-01", null, 0, 2.5);
    insert.run(5, BIG_TEXT, 0, "1999-12-31", "1999-12-31T23:59:59.999Z", 1, "");
    for (let i = 10; i < 10 + GENERATED_ROWS; i++)
      insert.run(i, `name ${i % 97}`, i / 7, "2020-01-01", null, i * 1000, i % 2 ? BigInt(i) : `t${i}`);
  })();
  db.close();
  return file;
}

const COMPARED = ["id", "name", "score", "born", "seen", "n", "anything"]
  .map((c) => `${c}, typeof(${c}) AS ${c}_type`)
  .join(", ");

test("round trip: Sluice serves a store table and loads it back over both revisions, values and types equal", async (t) => {
  const dir = tempDir(t);
  const source = sourceStore(dir);
  const server = await serveQlik(t, source);
  const expected = query(source, `SELECT ${COMPARED} FROM people ORDER BY id`);
  for (const revision of ["connect", "a"]) {
    const target = join(dir, `${revision}.db`);
    const summary = await sluiceJson<{ protocol: string; inserted: number }>([
      "sync",
      "--qlik",
      server.address,
      "--statement",
      "SELECT * FROM people",
      "--qlik-revision",
      revision,
      "--db",
      target,
    ]);
    assert.deepEqual(
      [summary.protocol, summary.inserted],
      [revision === "a" ? "qlik" : "qlik.connect", GENERATED_ROWS + 5],
    );
    assert.deepEqual(
      query(target, `SELECT ${COMPARED} FROM qlik_people ORDER BY id`),
      expected,
      `revision ${revision}`,
    );
    const [nullRow, emptyRow] = query<{ name: string | null }>(
      target,
      "SELECT name FROM qlik_people WHERE id IN (2, 3) ORDER BY id",
    );
    assert.deepEqual([nullRow.name, emptyRow.name], [null, ""]);
    const columns = query<{ name: string; type: string; pk: number }>(
      target,
      "SELECT name, type, pk FROM pragma_table_info('qlik_people') WHERE name NOT LIKE '\\_sluice%' ESCAPE '\\'",
    );
    assert.deepEqual(
      columns.map((c) => `${c.name} ${c.type}${c.pk ? " key" : ""}`.trim()),
      ["id INTEGER key", "name TEXT", "score REAL", "born TEXT", "seen TEXT", "n INTEGER", "anything"],
    );
  }
  // The key came along: a second load updates nothing and inserts nothing.
  const again = await sluiceJson<{ inserted: number; unchanged: number }>([
    "sync",
    "--qlik",
    server.address,
    "--statement",
    "SELECT * FROM people",
    "--db",
    join(dir, "connect.db"),
  ]);
  assert.deepEqual([again.inserted, again.unchanged], [0, GENERATED_ROWS + 5]);
});

test("a Python grpcio client (published proto) reads Sluice's stream: header first, ~64 KB chunks, both revisions", async (t) => {
  const dir = tempDir(t);
  const source = sourceStore(dir);
  const generated = generatePythonPeers(t);
  const server = await serveQlik(t, source);
  for (const revision of ["connect", "a"] as const) {
    const read = await pythonRead(generated, server.address, revision, "SELECT * FROM people");
    assert.equal(read.header?.tableName, "people");
    assert.deepEqual(
      read.header?.fields.map((f) => [f.name, f.type, f.semanticType, f.tags.join()]),
      [
        ["id", 10, 0, "key"],
        ["name", 1, 0, ""],
        ["score", 2, 0, ""],
        ["born", 3, 2, ""],
        ["seen", 5, 2, ""],
        ["n", 10, 0, ""],
        ["anything", 0, 0, ""],
      ],
    );
    assert.equal(read.rows?.length, GENERATED_ROWS + 5);
    assert.deepEqual(read.rows?.slice(0, 4), [
      [1, "Ada", 1.5, "1815-12-10", "2024-01-02T03:04:05Z", Number.MAX_SAFE_INTEGER, 5],
      [2, null, null, null, null, null, null],
      [3, "", -0.1, "2000-02-29", "2000-02-29 12:00:00", -5, "text"],
      [4, "Zoë ✓", 1e300, "1970-01-01", null, 0, 2.5],
    ]);
    assert.equal(read.rows?.[4][1], BIG_TEXT);
    // Every chunk but the last is cut just past 64 KiB (the one holding the 100 KB text is bigger).
    const sizes = read.chunkBytes!;
    const full = sizes.slice(0, -1).filter((size) => size < 100_000);
    assert.ok(full.length >= 3, `chunks: ${sizes.join(", ")}`);
    for (const size of full)
      assert.ok(size >= 65_536 && size < 65_536 + 1024, `revision ${revision}: chunk of ${size} bytes`);
  }
  const empty = await pythonRead(generated, server.address, "connect", "SELECT name, score FROM people WHERE 0");
  assert.deepEqual(
    [empty.header?.fields.map((f) => f.name), empty.rows, empty.chunkBytes],
    [["name", "score"], [], []],
  );
  const emptyA = await pythonRead(generated, server.address, "a", "SELECT name FROM people WHERE 0");
  assert.deepEqual([emptyA.header?.tableName, emptyA.rows], ["people", []]);
  const first = await pythonRead(generated, server.address, "connect", "SELECT id FROM people", ["--first", "3"]);
  assert.deepEqual(first.rows, [[1], [2], [3]]);
  const limited = await pythonRead(
    generated,
    server.address,
    "a",
    "SQL SELECT id, score FROM people WHERE id > 5000 ORDER BY id DESC LIMIT 2;",
  );
  assert.deepEqual(limited.rows, [
    [20_009, 20_009 / 7],
    [20_008, 20_008 / 7],
  ]);
});

test("statements that are not reads, or name no table, fail with a status that says why; the store is untouched", async (t) => {
  const dir = tempDir(t);
  const source = sourceStore(dir);
  const generated = generatePythonPeers(t);
  const server = await serveQlik(t, source);
  const expectations: [string, string, RegExp][] = [
    ["DELETE FROM people", "INVALID_ARGUMENT", /expected SELECT <columns \| \*> FROM <table>/],
    ["SELECT * FROM people; DROP TABLE people", "INVALID_ARGUMENT", /after the table name only WHERE/],
    [
      "SELECT * FROM people WHERE id = 1; DELETE FROM people",
      "INVALID_ARGUMENT",
      /SQLite cannot run it: .*more than one statement/,
    ],
    ["SELECT * FROM nope", "NOT_FOUND", /no table or view "nope" in the served store; it has people/],
    ["SELECT missing FROM people", "INVALID_ARGUMENT", /no such column: missing/],
    ['{"connector": 3}', "INVALID_ARGUMENT", /"connector" must be a string/],
  ];
  for (const [statement, code, message] of expectations) {
    const read = await pythonRead(generated, server.address, "connect", statement);
    assert.equal(read.error?.code, code, statement);
    assert.match(read.error?.details ?? "", message);
  }
  assert.equal(query<{ n: number }>(source, "SELECT count(*) AS n FROM people")[0].n, GENERATED_ROWS + 5);
  const failed = await sluice([
    "sync",
    "--qlik",
    server.address,
    "--statement",
    "SELECT * FROM nope",
    "--db",
    join(dir, "t.db"),
  ]);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /NOT_FOUND: no table or view "nope"/);

  // The store gone: UNAVAILABLE (a client may retry), its message kept in the server's log under a reference.
  for (const file of [source, `${source}-wal`, `${source}-shm`]) rmSync(file, { force: true });
  const gone = await pythonRead(generated, server.address, "connect", "SELECT * FROM people");
  assert.equal(gone.error?.code, "UNAVAILABLE");
  const reference = gone.error?.details.match(
    /^GetData failed on the server; its log has the details \(reference ([0-9a-f]{8})\)$/,
  )?.[1];
  assert.ok(reference, gone.error?.details);
  await until(() => server.stderr().includes(reference), "the failure in the server's log");
});

test("Sluice loads a Python grpcio GetData connector (published proto), both revisions: types from the field info", async (t) => {
  const dir = tempDir(t);
  const generated = generatePythonPeers(t);
  const connector = await startPythonConnector(t, generated);
  const expected = [
    {
      id: 1,
      name: "Ada",
      score: 1.5,
      born: "1815-12-10",
      seen: "2024-01-02T03:04:05.000Z",
      iso: "2024-01-02T03:04:05Z",
      note: "aaaaaaaaaaββββββββββccccccccccddde",
      flag: -1,
      dual: "Jan",
    },
    { id: 2, name: null, score: null, born: null, seen: null, iso: null, note: "", flag: 0, dual: 7 },
    {
      id: 3,
      name: "",
      score: -0.25,
      born: "2000-02-29",
      seen: "2000-02-29T12:00:00.000Z",
      iso: "2000-02-29T12:00:00.5Z",
      note: null,
      flag: null,
      dual: "Ada",
    },
  ];
  for (const revision of ["connect", "a"]) {
    const db = join(dir, `${revision}.db`);
    const summary = await sluiceJson<{ protocol: string; inserted: number }>([
      "sync",
      "--qlik",
      connector.address,
      "--statement",
      "people",
      "--qlik-revision",
      revision,
      "--db",
      db,
    ]);
    assert.deepEqual([summary.protocol, summary.inserted], [revision === "a" ? "qlik" : "qlik.connect", 3]);
    assert.deepEqual(
      query(db, "SELECT id, name, score, born, seen, iso, note, flag, dual FROM qlik_people ORDER BY id"),
      expected,
      `revision ${revision}`,
    );
    const types = query<{ t: string }>(
      db,
      "SELECT typeof(flag) || ',' || typeof(dual) AS t FROM qlik_people ORDER BY id",
    ).map((r) => r.t);
    assert.deepEqual(types, ["integer,text", "integer,integer", "null,text"]);
    await sluiceJson([
      "sync",
      "--qlik",
      connector.address,
      "--statement",
      "people",
      "--qlik-revision",
      revision,
      "--db",
      db,
    ]);
    assert.equal(query(db, "SELECT id FROM qlik_people").length, 3, "a keyless table holds exactly the last load");
  }
});

test("connection string, user, password and firstRowsOnly reach the connector; GetMetaInfo names it", async (t) => {
  const dir = tempDir(t);
  const generated = generatePythonPeers(t);
  const connector = await startPythonConnector(t, generated);
  const db = join(dir, "s.db");
  const flags = ["--connection-string", "host=db;port=5432", "--user", "ada"];
  const env = { ...process.env, SLUICE_QLIK_PASSWORD: "s3cret" };
  for (const revision of ["connect", "a"]) {
    const result = await sluice(
      [
        "--json",
        "sync",
        "--qlik",
        connector.address,
        "--statement",
        "echo",
        ...flags,
        "--qlik-revision",
        revision,
        "--first-rows",
        "5",
        "--db",
        db,
        "--name",
        `echo_${revision}`,
      ],
      { env },
    );
    assert.equal(result.code, 0, result.stderr);
  }
  const rows = query(db, "SELECT * FROM echo_connect_echo UNION ALL SELECT * FROM echo_a_echo");
  const columns = ["statement", "connectionString", "user", "password", "firstRowsOnly", "revision"];
  assert.deepEqual(
    rows.map((row) => columns.map((c) => row[c])),
    [
      ["echo", "host=db;port=5432", "ada", "s3cret", 5, "connect"],
      ["echo", "host=db;port=5432", "ada", "s3cret", -1, "a"],
    ],
  );
  const counted = await sluiceJson<{ inserted: number }>([
    "sync",
    "--qlik",
    connector.address,
    "--statement",
    "count 1000",
    "--first-rows",
    "10",
    "--db",
    db,
  ]);
  assert.equal(counted.inserted, 10);
  const driver = new QlikDriver({ address: connector.address, statement: "empty", name: "probe" });
  t.after(() => driver.close());
  assert.deepEqual(await driver.spec(), {
    name: "python-fixture",
    version: "1.2.3",
    description: `Qlik GetData connector at ${connector.address}, by Sluice tests`,
  });
});

test("no rows still makes the table; revision A alone is found by auto; broken streams fail naming the problem", async (t) => {
  const dir = tempDir(t);
  const generated = generatePythonPeers(t);
  const connector = await startPythonConnector(t, generated);
  const db = join(dir, "s.db");
  const empty = await sluiceJson<{ records: number }>([
    "sync",
    "--qlik",
    connector.address,
    "--statement",
    "empty",
    "--db",
    db,
  ]);
  assert.equal(empty.records, 0);
  assert.deepEqual(query(db, "SELECT name FROM pragma_table_info('qlik_nothing') WHERE name = 'x'"), [{ name: "x" }]);

  const noHeader = await sluice(["sync", "--qlik", connector.address, "--statement", "no-header", "--db", db]);
  assert.equal(noHeader.code, 1);
  assert.match(noHeader.stderr, /Qlik connector at 127\.0\.0\.1:\d+: sent data before its x-qlik-getdata-bin header/);
  const badCode = await sluice(["sync", "--qlik", connector.address, "--statement", "bad-code", "--db", db]);
  assert.equal(badCode.code, 1);
  assert.match(badCode.stderr, /DataChunk 1: string code 3 points past the string bucket \(1 entries\)/);
  const unknown = await sluice(["sync", "--qlik", connector.address, "--statement", "what", "--db", db]);
  assert.equal(unknown.code, 1, unknown.stderr);
  assert.match(unknown.stderr, /GetData failed with INVALID_ARGUMENT: unknown statement 'what'/);

  const onlyA = await startPythonConnector(t, generated, ["--a-only"]);
  const auto = await sluiceJson<{ protocol: string; inserted: number }>([
    "sync",
    "--qlik",
    onlyA.address,
    "--statement",
    "people",
    "--db",
    join(dir, "a.db"),
  ]);
  assert.deepEqual([auto.protocol, auto.inserted], ["qlik", 3]);

  const nobody = await sluice(["sync", "--qlik", "127.0.0.1:1", "--statement", "x", "--db", db]);
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /cannot reach the Qlik connector at 127\.0\.0\.1:1/);
  const usage = await sluice(["sync", "--qlik", "127.0.0.1:1", "--db", db]);
  assert.equal(usage.code, 1, usage.stderr);
  assert.match(usage.stderr, /--qlik needs --statement/);
});

test("live sources: the JSON statement runs an installed go-plugin connector, with the connection string merged into its options", async (t) => {
  const dir = tempDir(t);
  const source = sourceStore(dir);
  const generated = generatePythonPeers(t);
  useTempHome(t);
  await installOk(
    writeManifest(dir, { name: "gen", source: "Local", uri: examples.goGenerator, command: "./generator" }),
  );
  const server = await serveQlik(t, source, ["--live-sources", "gen"]);
  const statement = JSON.stringify({ connector: "gen", stream: "users", options: { page_size: 100 } });
  const read = await pythonRead(generated, server.address, "connect", statement, [
    "--connection-string",
    "count=250;start_id=1000",
    "--user",
    "ignored-by-generator",
  ]);
  assert.equal(read.header?.tableName, "users");
  assert.deepEqual(
    read.header?.fields.map((f) => `${f.name}:${f.type}:${f.semanticType}${f.tags.length ? ":key" : ""}`),
    ["active:10:0", "age:10:0", "created_at:5:2", "email:1:0", "id:10:0:key", "name:1:0", "score:2:0", "tags:1:0"],
  );
  assert.equal(read.rows?.length, 250);
  assert.deepEqual(read.rows?.[0].slice(2, 6), ["2020-01-01T16:40:00Z", "user1000@example.com", 1000, "Ada Lovelace"]);
  const revisionA = await pythonRead(
    generated,
    server.address,
    "a",
    JSON.stringify({ connector: "gen", config: { count: 2000, page_size: 50 } }),
  );
  assert.equal(revisionA.rows?.length, 2000);
  const limited = await pythonRead(
    generated,
    server.address,
    "connect",
    JSON.stringify({ connector: "gen", options: { count: 100000, page_size: 50 } }),
    ["--first", "30"],
  );
  assert.equal(limited.rows?.length, 30);

  const db = join(dir, "live.db");
  const summary = await sluiceJson<{ inserted: number }>([
    "sync",
    "--qlik",
    server.address,
    "--statement",
    statement,
    "--connection-string",
    '{"count": 40}',
    "--db",
    db,
  ]);
  assert.equal(summary.inserted, 40);
  assert.deepEqual(query(db, "SELECT id, active, created_at FROM qlik_users ORDER BY id LIMIT 1"), [
    { id: 0, active: 0, created_at: "2020-01-01T00:00:00Z" },
  ]);

  const badOptions = await pythonRead(
    generated,
    server.address,
    "connect",
    JSON.stringify({ connector: "gen", options: { count: -1 } }),
  );
  assert.equal(badOptions.error?.code, "INVALID_ARGUMENT");
  assert.match(badOptions.error?.details ?? "", /option "count" must be >= 0/);
});

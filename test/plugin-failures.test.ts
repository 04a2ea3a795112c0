/** Every way a connector can fail to start or die mid-sync ends in a message that says so. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { examples, query, root, run, sluice, tempDir } from "./helpers.js";

const fixture = (name: string) => join(root, "test/fixtures/plugins", name);
const scripted = `node ${join(root, "test/fixtures/scripted-connector.mjs")}`;

async function failingSync(t: { after(fn: () => void): void }, args: string[] | ((db: string) => string[])) {
  const db = join(tempDir(t), "s.db");
  const result = await sluice(["sync", "--db", db, "--no-progress", ...(Array.isArray(args) ? args : args(db))]);
  assert.notEqual(result.code, 0, `expected failure, got stdout ${result.stdout}`);
  return { ...result, db };
}

test("executable not found", async (t) => {
  const { stderr } = await failingSync(t, ["-c", "/no/such/connector --flag"]);
  assert.match(stderr, /executable not found: "\/no\/such\/connector --flag"/);
});

test("not executable", async (t) => {
  const { stderr } = await failingSync(t, ["-c", fixture("not-executable.sh")]);
  assert.match(stderr, /is not executable \(chmod \+x it\?\)/);
});

test("exit before the handshake shows the exit code and stderr tail", async (t) => {
  const { stderr } = await failingSync(t, ["-c", fixture("exits-early.sh")]);
  assert.match(stderr, /exited with code 3 before completing the go-plugin handshake/);
  assert.match(stderr, /fatal: cannot read \/etc\/connector.conf/);
});

test("wrong magic cookie: a native connector started as c1-core", async (t) => {
  const { stderr } = await failingSync(t, ["-c", examples.tsPackages, "--protocol", "c1"]);
  assert.match(stderr, /rejected the magic cookie \(BASIC_PLUGIN\)/);
  assert.match(stderr, /This binary is a plugin/);
});

test("malformed handshake line", async (t) => {
  const { stderr } = await failingSync(t, ["-c", fixture("garbage.sh")]);
  assert.match(stderr, /malformed handshake line "hello world"/);
});

test("unsupported app protocol version and net/rpc", async (t) => {
  assert.match(
    (await failingSync(t, ["-c", fixture("wrong-version.sh")])).stderr,
    /app protocol version 9, but this host offers 1/,
  );
  assert.match((await failingSync(t, ["-c", fixture("netrpc.sh")])).stderr, /speaks go-plugin protocol "netrpc"/);
});

test("handshake timeout", async (t) => {
  // The message names the 1 s bound that ended it (a wall-clock assertion would only measure the machine's load).
  const { stderr } = await failingSync(t, ["-c", fixture("hangs.sh"), "--start-timeout", "1"]);
  assert.match(stderr, /printed no handshake line within 1000 ms/);
});

test("health check failure", async (t) => {
  const { stderr } = await failingSync(t, ["-c", fixture("no-server.sh"), "--start-timeout", "2"]);
  assert.match(stderr, /failed its health check/);
});

test("a connector that crashes mid-sync: pages already committed stay, the sync log says failed with its stderr", async (t) => {
  // It dies once its 3 pages are committed (a condition; a sleep was a guess at how long that takes).
  const options = (file: string) => JSON.stringify({ pages: 3, then: "crash", crash_once_in: file });
  const { stderr, db } = await failingSync(t, (file) => ["-c", scripted, "-o", options(file)]);
  assert.match(stderr, /crashed: the process exited with code 3/);
  assert.match(stderr, /panic: the source went away/);
  assert.match(stderr, /3 page\(s\) written before the failure are kept/);
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM scripted_connector_items")[0].n, 30);
  const [log] = query<{ status: string; error: string; pages: number }>(
    db,
    "SELECT status, error, pages FROM _sluice_syncs",
  );
  assert.equal(log.status, "failed");
  assert.equal(log.pages, 3);
  assert.match(log.error, /panic: the source went away/);
  const [state] = query<{ state: string }>(db, "SELECT state FROM _sluice_state");
  assert.deepEqual(JSON.parse(state.state), { page: 3 });
});

test("a connector that hangs mid-sync is stopped by --timeout, keeping what it sent", async (t) => {
  const { stderr, db } = await failingSync(t, ["-c", scripted, "-o", '{"pages": 2, "then": "hang"}', "--timeout", "2"]);
  assert.match(stderr, /was cancelled: timed out after 2 s \(--timeout\)/);
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM scripted_connector_items")[0].n, 20);
  assert.equal(query<{ status: string }>(db, "SELECT status FROM _sluice_syncs")[0].status, "cancelled");
});

test("a record without its primary key fails the sync and names the record; earlier pages stay", async (t) => {
  const { stderr, db } = await failingSync(t, ["-c", scripted, "-o", '{"pages": 2, "then": "bad-record"}']);
  assert.match(stderr, /stream "items", record 2 of the page: primary key field "id" is missing/);
  const ids = query<{ id: number }>(db, "SELECT id FROM scripted_connector_items ORDER BY id").map((r) => r.id);
  assert.equal(ids.length, 20, "the bad page is rolled back whole, the two before it are kept");
  assert.ok(!ids.includes(99999));
});

test("options are validated against the connector's schema, then by its own check", async (t) => {
  const schema = await failingSync(t, ["-c", scripted, "-o", '{"pages": "many", "colour": 1}']);
  assert.match(schema.stderr, /option "pages" must be integer/);
  assert.match(schema.stderr, /option "colour" is not known to this connector/);
  const notJson = await failingSync(t, ["-c", scripted, "-o", "pages=3"]);
  assert.match(notJson.stderr, /options must be JSON/);
  const check = await failingSync(t, ["-c", scripted, "-o", '{"pages": 5000}']);
  assert.match(check.stderr, /option "pages": at most 1000/);
});

test("a connector that ignores Shutdown and SIGTERM is killed with SIGKILL after the grace periods, and the sync still succeeds", async (t) => {
  const db = join(tempDir(t), "stubborn.db");
  const stubborn = join(root, "test/fixtures/stubborn-connector.mjs");
  // An argument of this test's own (the connector ignores it): other test files run the same fixture meanwhile.
  const mark = `plugin-failures-${randomUUID()}`;
  const started = Date.now();
  const result = await sluice(
    [
      "--log-level",
      "debug",
      "sync",
      "-c",
      `node ${stubborn} ${mark}`,
      "--protocol",
      "sluice",
      "-o",
      '{"pages": 2}',
      "--db",
      db,
    ],
    { timeoutMs: 30_000 },
  );
  const seconds = (Date.now() - started) / 1000;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /ignoring a request to exit/);
  assert.match(result.stderr, /ignoring SIGTERM/);
  assert.ok(seconds >= 4, `waited a grace period after Shutdown and another after SIGTERM (${seconds} s)`);
  const left = await run("pgrep", ["-f", mark]);
  assert.equal(left.stdout.trim(), "", "no process left behind");
});

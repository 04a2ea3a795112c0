/**
 * Airbyte sources as plain subprocesses, through the CLI: the real
 * airbyte-source-faker from PyPI (spec, check, discover, read, incremental
 * re-runs), and a scripted source for the rules: state saved only with the
 * records before it, resume without duplicates, a crash mid-read, malformed
 * lines by number, TRACE errors with the source's stack, CONTROL config
 * updates, overwrite that replaces a table only when the sync succeeds.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { query, root, run, sluice, sluiceBin, tempDir } from "./helpers.js";

const faker = join(root, ".venv-airbyte/bin/source-faker");
const scripted = `node ${join(root, "test/fixtures/airbyte/scripted-source.mjs")}`;

interface Summary {
  protocol: string;
  records: number;
  streams: Record<string, { table: string; inserted: number; updated: number; unchanged: number }>;
}

function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

async function airbyteSync(args: string[]): Promise<Summary> {
  const result = await sluice(["--json", "airbyte", "sync", ...args], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, `sluice airbyte sync failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Summary;
}

test("airbyte-source-faker from PyPI: spec, check, discover, read into SQLite, then an incremental run adds nothing", async (t) => {
  const dir = tempDir(t);
  const config = writeJson(dir, "faker.json", {
    count: 300,
    seed: 42,
    records_per_slice: 100,
    parallelism: 1,
    always_updated: false,
  });
  const db = join(dir, "faker.db");

  const spec = await sluice(["--json", "airbyte", "spec", "-c", faker]);
  assert.equal(spec.code, 0, spec.stderr);
  assert.equal(JSON.parse(spec.stdout).properties.count.type, "integer");
  const check = await sluice(["airbyte", "check", "-c", faker, "--config", config]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /check succeeded/);
  const discover = await sluice(["airbyte", "discover", "-c", faker, "--config", config]);
  assert.equal(discover.code, 0, discover.stderr);
  assert.match(discover.stdout, /users: full_refresh, incremental; primary key id; cursor updated_at/);

  const first = await airbyteSync(["-c", faker, "--config", config, "--db", db, "--name", "faker"]);
  assert.equal(first.protocol, "airbyte");
  assert.deepEqual(
    [first.streams.users.inserted, first.streams.purchases.inserted, first.streams.products.inserted],
    [300, 300, 100],
  );
  const users = query<{ id: number; email: string; address: string }>(
    db,
    "SELECT id, email, address FROM faker_users ORDER BY id",
  );
  assert.equal(users.length, 300);
  assert.equal(users[0].id, 1);
  assert.match(users[0].email, /@/);
  assert.equal(typeof JSON.parse(users[0].address), "object", "nested objects are stored as JSON");
  const state = JSON.parse(
    query<{ state: string }>(db, "SELECT state FROM _sluice_state WHERE connector = 'faker'")[0].state,
  );
  assert.deepEqual(
    state.map((s: { stream: { stream_descriptor: { name: string } } }) => s.stream.stream_descriptor.name).sort(),
    ["products", "purchases", "users"],
  );

  const second = await airbyteSync(["-c", faker, "--config", config, "--db", db, "--name", "faker"]);
  assert.equal(second.records, 0, "the saved state goes back to the source: nothing new");
  assert.equal(query(db, "SELECT id FROM faker_users").length, 300);

  const badConfig = writeJson(dir, "bad.json", { count: "many" });
  const bad = await sluice(["airbyte", "sync", "-c", faker, "--config", badConfig, "--db", db]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /count.*must be integer/, "the config is validated against the source's spec first");
});

test("a crash mid-read keeps the records before the last STATE and that state; the next run resumes without duplicates", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "s.db");
  const crashing = writeJson(dir, "crash.json", { records: 500, stateEvery: 100, failAfter: 250 });
  const failed = await sluice(["airbyte", "sync", "-c", scripted, "--config", crashing, "--db", db, "--name", "s"]);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /Airbyte source "s" `read` exited with code 3; its last output:\n.*the API went away/);
  const kept = query<{ id: number }>(db, "SELECT id FROM s_items ORDER BY id").map((r) => r.id);
  assert.ok(kept.length >= 200, `the 200 records before the last STATE are there (${kept.length})`);
  assert.deepEqual(
    kept.slice(0, 200),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
  const saved = JSON.parse(query<{ state: string }>(db, "SELECT state FROM _sluice_state")[0].state);
  assert.equal(saved[0].stream.stream_state.cursor, 200);
  assert.equal(query<{ status: string }>(db, "SELECT status FROM _sluice_syncs")[0].status, "failed");

  const whole = writeJson(dir, "ok.json", { records: 500, stateEvery: 100 });
  const resumed = await airbyteSync([
    "-c",
    scripted,
    "--config",
    whole,
    "--db",
    db,
    "--name",
    "s",
    "--streams",
    "items",
  ]);
  assert.equal(
    resumed.streams.items.inserted + resumed.streams.items.unchanged,
    300,
    "read from the saved cursor (200), not from the start",
  );
  const ids = query<{ id: number }>(db, "SELECT id FROM s_items ORDER BY id").map((r) => r.id);
  assert.deepEqual(
    ids,
    Array.from({ length: 500 }, (_, i) => i + 1),
    "every record once",
  );
});

test("malformed JSON lines are reported with their line number; non-JSON chatter is only logged", async (t) => {
  const dir = tempDir(t);
  const config = writeJson(dir, "c.json", { records: 10, stateEvery: 5, malformedAt: 7, noise: true });
  const result = await sluice([
    "airbyte",
    "sync",
    "-c",
    scripted,
    "--config",
    config,
    "--db",
    join(dir, "m.db"),
    "--streams",
    "items",
  ]);
  assert.equal(result.code, 1);
  // line 1: LOG, 2: noise, 3: ESTIMATE, then records 1..5 + STATE (4..9), records 6 (10); the malformed line is 11
  assert.match(
    result.stderr,
    /connector "scripted-source": line 11 of its output is not a valid message \(.*JSON.*\): \{"type": "RECORD"/,
  );
  assert.equal(
    query(join(dir, "m.db"), "SELECT id FROM scripted_source_items").length,
    5,
    "the page before the last STATE is kept",
  );
});

test("a TRACE error fails the sync with the source's message and stack trace", async (t) => {
  const dir = tempDir(t);
  const config = writeJson(dir, "c.json", { records: 10, stateEvery: 5, traceAt: 8 });
  const result = await sluice([
    "airbyte",
    "sync",
    "-c",
    scripted,
    "--config",
    config,
    "--db",
    join(dir, "t.db"),
    "--name",
    "t",
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /Airbyte source "t" `read` exited with code 1: Rate limit exceeded \(HTTP 429\)\nTraceback \(most recent call last\):\n {2}File "source.py", line 7, in read\nRateLimit: 429/,
  );
});

test("CONTROL: the source's new config replaces the config file whole: a private temp file, fsynced, renamed, the folder fsynced", async (t) => {
  const dir = tempDir(t);
  const config = writeJson(dir, "c.json", { records: 3, stateEvery: 5, control: true });
  chmodSync(config, 0o644);
  const before = statSync(config).ino;
  const args = ["--json", "airbyte", "sync", "-c", scripted, "--config", config, "--db", join(dir, "c.db")];
  // strace -y names each descriptor's file, so the order of fsyncs and the rename can be read off.
  const trace = join(tempDir(t), "trace");
  const traced = await run(
    "strace",
    [
      "-f",
      "-y",
      "-qq",
      "-o",
      trace,
      "-e",
      "trace=fsync,fdatasync,rename,renameat,renameat2",
      process.execPath,
      sluiceBin,
      ...args,
    ],
    { timeoutMs: 300_000 },
  );
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(JSON.parse(readFileSync(config, "utf8")).token, "refreshed");
  assert.equal(statSync(config).mode & 0o777, 0o600, "the config holds a fresh token: only its owner may read it");
  assert.notEqual(statSync(config).ino, before, "a new file took the old one's place (never rewritten in place)");
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith(".c.json")),
    [],
    "no temp file is left",
  );
  const calls = readFileSync(trace, "utf8").split("\n");
  const renamed = calls.findIndex((line) => /rename/.test(line) && line.includes(`"${config}"`));
  assert.ok(renamed >= 0, `no rename onto ${config} in:\n${calls.join("\n")}`);
  const temp = /rename\w*\([^"]*"([^"]+)"/.exec(calls[renamed])?.[1] ?? "";
  assert.ok(
    calls.slice(0, renamed).some((line) => /f(data)?sync\(\d+</.test(line) && line.includes(`<${temp}>`)),
    "the temp file is fsynced before the rename",
  );
  assert.ok(
    calls.slice(renamed).some((line) => /f(data)?sync\(\d+</.test(line) && line.includes(`<${dir}>`)),
    "the folder is fsynced after the rename",
  );
});

test("full refresh + overwrite: the table holds exactly the last successful sync; a failed one leaves it as it was", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "o.db");
  const catalogResult = await sluice([
    "airbyte",
    "catalog",
    "-c",
    scripted,
    "--config",
    writeJson(dir, "c0.json", { records: 0 }),
  ]);
  assert.equal(catalogResult.code, 0, catalogResult.stderr);
  const catalog = JSON.parse(catalogResult.stdout);
  assert.deepEqual(
    catalog.streams.map((s: { stream: { name: string }; sync_mode: string; destination_sync_mode: string }) => [
      s.stream.name,
      s.sync_mode,
      s.destination_sync_mode,
    ]),
    [
      ["items", "incremental", "append_dedup"],
      ["events", "full_refresh", "overwrite"],
    ],
  );
  const catalogFile = writeJson(dir, "catalog.json", catalog);

  await airbyteSync([
    "-c",
    scripted,
    "--config",
    writeJson(dir, "c1.json", { records: 0, events: 5 }),
    "--catalog",
    catalogFile,
    "--db",
    db,
    "--name",
    "o",
  ]);
  await airbyteSync([
    "-c",
    scripted,
    "--config",
    writeJson(dir, "c2.json", { records: 0, events: 3 }),
    "--catalog",
    catalogFile,
    "--db",
    db,
    "--name",
    "o",
  ]);
  assert.deepEqual(
    query(db, "SELECT n FROM o_events ORDER BY n").map((r) => (r as { n: number }).n),
    [1, 2, 3],
  );
  const failed = await sluice([
    "airbyte",
    "sync",
    "-c",
    scripted,
    "--config",
    writeJson(dir, "c3.json", { records: 0, events: 9, failInEvents: true }),
    "--catalog",
    catalogFile,
    "--db",
    db,
    "--name",
    "o",
  ]);
  assert.equal(failed.code, 1);
  assert.deepEqual(
    query(db, "SELECT n FROM o_events ORDER BY n").map((r) => (r as { n: number }).n),
    [1, 2, 3],
    "a failed overwrite leaves the table alone",
  );

  // append: each run's rows are added to the last ones', none replaced (and no key: no upsert either)
  catalog.streams[1].destination_sync_mode = "append";
  const appending = writeJson(dir, "append.json", catalog);
  for (const events of [2, 3]) {
    const config = writeJson(dir, `a${events}.json`, { records: 0, events });
    await airbyteSync(["-c", scripted, "--config", config, "--catalog", appending, "--db", db, "--name", "a"]);
  }
  assert.deepEqual(
    query<{ n: number }>(db, "SELECT n FROM a_events ORDER BY n").map((r) => r.n),
    [1, 1, 2, 2, 3],
  );

  catalog.streams[0].sync_mode = "sideways";
  const invalid = await sluice([
    "airbyte",
    "sync",
    "-c",
    scripted,
    "--config",
    writeJson(dir, "c4.json", { records: 0 }),
    "--catalog",
    writeJson(dir, "bad.json", catalog),
    "--db",
    db,
  ]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /streams\[0\] \("items"\): "sync_mode" must be one of full_refresh, incremental/);
});

test("a sync checks and discovers side by side: a failed check is the error told, whatever discover did", async (t) => {
  const dir = tempDir(t);
  const sync = (fail: string) =>
    sluice([
      "airbyte",
      "sync",
      "-c",
      scripted,
      "--config",
      writeJson(dir, `${fail}.json`, { records: 1, fail }),
      "--db",
      join(dir, "x.db"),
    ]);
  for (const fail of ["check", "check+discover"]) {
    const run = stderrOfFailed(await sync(fail));
    assert.match(run, /told to fail its check/, fail);
    assert.doesNotMatch(run, /`discover` exited/, fail);
  }
  const discover = stderrOfFailed(await sync("discover"));
  assert.match(discover, /`discover` exited with code 3; its last output:\n.*told to fail discover/);
  assert.equal(existsSync(join(dir, "x.db")), false, "nothing written before the source was ready");
});

/** The stderr of a run that must have failed with exit code 1. */
function stderrOfFailed(run: { code: number | null; stderr: string }): string {
  assert.equal(run.code, 1, run.stderr);
  return run.stderr;
}

test("a source's own temporary files stay in Sluice's private folder and go with it, even when the source dies", async (t) => {
  const dir = tempDir(t);
  const where = join(dir, "copy-path.txt");
  const config = writeJson(dir, "c.json", { records: 10, failAfter: 5, token: "s3cret", tempCopy: where });
  const failed = await sluice(["airbyte", "sync", "-c", scripted, "--config", config, "--db", join(dir, "x.db")]);
  assert.equal(failed.code, 1, failed.stderr);
  const copy = readFileSync(where, "utf8");
  assert.match(copy, /\/sluice-connector-[^/]+\/tmp\/tmp[^/]+\/config\.json$/, "TMPDIR was Sluice's private folder");
  assert.equal(existsSync(copy), false, "the config copy, secrets and all, went with the folder");
});

test("check failures and a missing command are clear", async (t) => {
  const dir = tempDir(t);
  const check = await sluice(["airbyte", "check", "-c", scripted, "--config", writeJson(dir, "c.json", {})]);
  assert.equal(check.code, 1);
  assert.match(check.stdout, /check failed:\n {2}records must be given/);
  const missing = await sluice([
    "airbyte",
    "sync",
    "-c",
    "/nonexistent/source-x",
    "--config",
    writeJson(dir, "d.json", {}),
    "--db",
    join(dir, "x.db"),
  ]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Airbyte source "source-x" `spec` exited with code 127; its last output:\n.*not found/);
  const none = await sluice(["airbyte", "sync", "--config", writeJson(dir, "e.json", {})]);
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /say which Airbyte source to run/);
});

/**
 * Secrets stay out of sight: option text is never echoed in errors or logs,
 * every flag that carries a secret has a file and an environment
 * alternative (so argv, which `ps` shows every user, never holds one),
 * pipeline configs are sealed in the state table, and the files Sluice
 * creates (databases with their -wal/-shm, the key) are private to their
 * owner. Checked by reading what a user could read: stderr, stdout, the
 * database's bytes, /proc/<pid>/cmdline of every process, file modes.
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  examples,
  gitRepo,
  processTree,
  query,
  root,
  type RunResult,
  run,
  sluice,
  sluiceBin,
  tempDir,
} from "./helpers.js";
import { generatePythonPeers, serveQlik, startPythonConnector } from "./qlik-helpers.js";
import { makeCertificates } from "./tls-helpers.js";
import { type Hooks, stopAfter } from "./process-helpers.js";

const SECRET = "hunter2";
const recorder = `builtin:${join(root, "test/fixtures/conduit/lifecycle-recorder.mjs")}`;
const tsConduit = `node ${join(root, "examples/ts/dist/conduit/main.js")}`;
const scriptedAirbyte = `node ${join(root, "test/fixtures/airbyte/scripted-source.mjs")}`;

function assertNoSecret(result: RunResult, what: string): void {
  assert.ok(!result.stderr.includes(SECRET), `${what}: stderr shows the secret:\n${result.stderr}`);
  assert.ok(!result.stdout.includes(SECRET), `${what}: stdout shows the secret:\n${result.stdout}`);
}

/** Every file of the database (main, -wal, -shm) read as bytes: the secret must not be in any. */
function assertNotStored(db: string): void {
  for (const file of [db, `${db}-wal`, `${db}-shm`].filter(existsSync))
    assert.ok(!readFileSync(file).includes(SECRET), `${file} holds the secret in plain text`);
}

const mode = (path: string) => statSync(path).mode & 0o777;

test("option text is never echoed: bad JSON in -o, --config files and config pairs is described by line and column", async (t) => {
  const dir = tempDir(t);
  for (const json of [false, true]) {
    const check = await sluice([
      ...(json ? ["--json"] : []),
      "check",
      "-c",
      examples.goGenerator,
      "-o",
      `password=${SECRET}`,
    ]);
    assert.equal(check.code, 1);
    assert.match(
      check.stderr,
      /options for connector \\?"generator\\?" are invalid:[\s\S]*not valid JSON at line 1, column 1/,
    );
    assertNoSecret(check, `check${json ? " --json" : ""}`);
  }
  const db = join(dir, "s.db");
  const sync = await sluice([
    "sync",
    "-c",
    examples.goGenerator,
    "-o",
    `{"count": 1, "password": ${SECRET}}`,
    "--db",
    db,
  ]);
  assert.equal(sync.code, 1);
  assert.match(sync.stderr, /not valid JSON at line 1, column 26: unexpected character/);
  assertNoSecret(sync, "sync");
  if (existsSync(db)) assertNotStored(db);

  const config = join(dir, "config.json");
  writeFileSync(config, `{"password": ${SECRET}}`);
  const airbyte = await sluice(["airbyte", "check", "-c", scriptedAirbyte, "--config", config]);
  assert.equal(airbyte.code, 1);
  assert.match(airbyte.stderr, /config\.json is not valid JSON at line 1, column 14/);
  assertNoSecret(airbyte, "airbyte check");

  const pairs = await sluice(["pipeline", "run", "--from", recorder, "--from-config", SECRET, "--to", `sqlite:${db}`]);
  assert.equal(pairs.code, 1);
  assert.match(pairs.stderr, /--from-config takes key=value; value #1 has no "="/);
  assertNoSecret(pairs, "pipeline --from-config");
});

test("secret-carrying flags have file and environment alternatives, and no process's argv ever shows the secret", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "s.db");
  const viaEnv = await sluice(["--json", "sync", "-c", examples.goGenerator, "--db", db], {
    env: { ...process.env, SLUICE_OPTIONS: JSON.stringify({ count: 7 }) },
  });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(JSON.parse(viaEnv.stdout).records, 7, "SLUICE_OPTIONS stands for --options");

  // A pipeline whose both configs come from files and the environment, watched from outside while it runs.
  const out = join(dir, "out.jsonl");
  const fromFile = join(dir, "from.json");
  writeFileSync(fromFile, JSON.stringify({ count: 300, batch: 1, password: SECRET }));
  const toFile = join(dir, "to.json");
  writeFileSync(toFile, JSON.stringify({ path: out }));
  const child = spawn(
    process.execPath,
    [
      sluiceBin,
      "--json",
      "pipeline",
      "run",
      "--from",
      recorder,
      "--from-config-file",
      fromFile,
      "--to",
      tsConduit,
      "--to-config-file",
      toFile,
      "--state-db",
      join(dir, "state.db"),
      "--name",
      "watched",
      "--idle-stop",
      "1",
    ],
    { env: { ...process.env, LIFECYCLE_LOG: join(dir, "lifecycle.jsonl"), SLUICE_TO_CONFIG: '{"unused": "x"}' } },
  );
  stopAfter(t, child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const seen = new Set<string>();
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    for (const { commandLine } of processTree(child.pid!)) seen.add(commandLine);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(await exited, 0, stderr);
  assert.equal(JSON.parse(stdout).records, 300);
  assert.ok(
    [...seen].some((line) => line.includes("examples/ts/dist/conduit/main.js")),
    "the destination connector's process was seen",
  );
  assert.deepEqual(
    [...seen].filter((line) => line.includes(SECRET)),
    [],
    "no command line holds the secret",
  );
  assert.ok(!stderr.includes(SECRET), stderr);
  assert.equal(readFileSync(out, "utf8").trim().split("\n").length, 300, "--to-config-file reached the destination");
});

test("pipeline configs are sealed in the state table: the database never holds them, lifecycle events still see the config before", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "p.db");
  const key = join(dir, "keys", "secret.key");
  const log = join(dir, "lifecycle.jsonl");
  const env = { ...process.env, SLUICE_SECRET_KEY_FILE: key, LIFECYCLE_LOG: log };
  const runWith = async (password: string, extraEnv: NodeJS.ProcessEnv = {}) => {
    const config = join(dir, `${password}.json`);
    writeFileSync(config, JSON.stringify({ count: 5, password }));
    const result = await sluice(
      [
        "--json",
        "pipeline",
        "run",
        "--from",
        recorder,
        "--from-config-file",
        config,
        "--to",
        `sqlite:${db}`,
        "--name",
        "sealed",
        "--idle-stop",
        "1",
      ],
      { env: { ...env, ...extraEnv } },
    );
    assert.equal(result.code, 0, result.stderr);
    return { ...(JSON.parse(result.stdout) as { lifecycle: Record<string, string> }), stderr: result.stderr };
  };
  assert.deepEqual((await runWith(SECRET)).lifecycle, { source: "created" });
  assert.equal(query(db, "SELECT count(*) AS n FROM sealed_sequence")[0].n, 5);
  assertNotStored(db);
  assert.ok(!query<{ state: string }>(db, "SELECT state FROM _sluice_state")[0].state.includes(SECRET));
  assert.equal(mode(key), 0o600, "the key is readable by its owner only");
  for (const file of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(file), 0o600, `${file} is private`);

  assert.deepEqual((await runWith(SECRET)).lifecycle, { source: "unchanged" }, "the sealed config compares equal");
  assert.deepEqual((await runWith("hunter3")).lifecycle, { source: "updated" });
  const events = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    events.map((e: { event: string; before?: { password: string }; after?: { password: string } }) => [
      e.event,
      e.before?.password,
      e.after?.password,
    ]),
    [
      ["created", undefined, undefined],
      ["updated", SECRET, "hunter3"],
    ],
    "OnUpdated gets the config before, opened from its sealed copy",
  );
  assertNotStored(db);

  const otherKey = await runWith("hunter3", { SLUICE_SECRET_KEY_FILE: join(dir, "other.key") });
  assert.deepEqual(otherKey.lifecycle, { source: "updated" }, "a config another key sealed counts as changed");
  assert.match(otherKey.stderr, /saved config cannot be opened with the key in .*other\.key/);
});

/** `sluice pipeline run` into `to` under umask 000, its recorder slow enough to watch; resolves with its exit code. */
function pipelineUnderUmask000(t: Hooks, to: string, env: NodeJS.ProcessEnv): Promise<number | null> {
  const args = ["pipeline", "run", "--from", recorder, "--from-config", "count=200", "--from-config", "batch=1"];
  const child = spawn(
    "sh",
    ["-c", 'umask 000 && exec "$0" "$@"', process.execPath, sluiceBin, ...args, "--to", to, "--idle-stop", "1"],
    { env, stdio: "ignore" },
  );
  stopAfter(t, child);
  return new Promise<number | null>((resolve) => child.on("close", resolve));
}

/** The modes of `files` seen while `exited` is pending (each as soon as it exists). */
async function modesWhileRunning(files: string[], exited: Promise<number | null>): Promise<Map<string, number>> {
  const modes = new Map<string, number>();
  let running = true;
  void exited.then(() => (running = false));
  while (running && modes.size < files.length) {
    for (const file of files) if (existsSync(file)) modes.set(file, mode(file));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return modes;
}

test("databases Sluice creates are private to their owner, -wal and -shm included, whatever the umask", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "new.db");
  const home = join(dir, "home");
  const env = { ...process.env, SLUICE_HOME: home, LIFECYCLE_LOG: join(dir, "lifecycle.jsonl") };
  const exited = pipelineUnderUmask000(t, `sqlite:${db}`, env);
  // -wal and -shm exist while the database is open: look at them then.
  const modes = await modesWhileRunning([db, `${db}-wal`, `${db}-shm`], exited);
  assert.equal(await exited, 0);
  assert.deepEqual(
    [...modes.entries()].sort(),
    [db, `${db}-shm`, `${db}-wal`].map((file) => [file, 0o600]),
    "the database, its -wal and its -shm are readable by their owner only",
  );
  const listed = await run(
    "sh",
    ["-c", 'umask 000 && exec "$0" "$@"', process.execPath, sluiceBin, "connectors", "list"],
    { env },
  );
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(mode(home), 0o700, "SLUICE_HOME is made private");
  assert.equal(mode(join(home, "registry.db")), 0o600);
  assert.equal(mode(join(home, "secret.key")), 0o600);
});

test("a DuckDB store's file, write-ahead log and spill folder are private to their owner, whatever the umask", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "new.duckdb");
  const env = { ...process.env, SLUICE_HOME: join(dir, "home"), LIFECYCLE_LOG: join(dir, "lifecycle.jsonl") };
  const exited = pipelineUnderUmask000(t, `duckdb:${db}`, env);
  // DuckDB re-creates its .wal after each checkpoint and removes it on closing, and its .tmp folder (made
  // when it may spill, not on every run) too.
  const expected = new Map([
    [db, 0o600],
    [`${db}.wal`, 0o600],
    [`${db}.tmp`, 0o700],
  ]);
  const modes = await modesWhileRunning([...expected.keys()], exited);
  assert.equal(await exited, 0);
  assert.ok(modes.has(db) && modes.has(`${db}.wal`), "the file and its log were seen");
  for (const [file, seen] of modes) assert.equal(seen, expected.get(file), `${file} is private`);
});

test("sync --qlik over TLS: the server's certificate is checked against --qlik-ca, and a server asking for client certificates gets ours", async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const source = join(dir, "source.db");
  const db = new Database(source);
  db.exec(
    "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO people VALUES (1, 'Ada'), (2, 'Grace')",
  );
  db.close();
  const server = await serveQlik(t, source, [
    ...["--tls-cert", certs.serverCert, "--tls-key", certs.serverKey, "--client-ca", certs.ca],
  ]);
  const target = join(dir, "target.db");
  const load = (...flags: string[]) =>
    sluice(["sync", "--qlik", server.address, "--statement", "SELECT * FROM people", "--db", target, ...flags]);
  const mutual = await load("--qlik-ca", certs.ca, "--qlik-cert", certs.clientCert, "--qlik-key", certs.clientKey);
  assert.equal(mutual.code, 0, mutual.stderr);
  assert.deepEqual(
    query<{ name: string }>(target, "SELECT name FROM qlik_people ORDER BY id").map((r) => r.name),
    ["Ada", "Grace"],
  );
  for (const [flags, why] of [
    [["--qlik-ca", certs.ca], "no client certificate"],
    [
      ["--qlik-ca", certs.otherCa, "--qlik-cert", certs.clientCert, "--qlik-key", certs.clientKey],
      "a server the CA did not sign",
    ],
    [[], "plaintext against a TLS server"],
  ] as const) {
    const refused = await load(...flags);
    assert.equal(refused.code, 1, `${why} was let through:\n${refused.stderr}`);
    assert.match(refused.stderr, /Qlik connector at 127\.0\.0\.1:\d+/, why);
  }
});

test("sync --qlik reads the password from --password-file or SLUICE_QLIK_PASSWORD, never needing it in argv", async (t) => {
  const dir = tempDir(t);
  const connector = await startPythonConnector(t, generatePythonPeers(t));
  const passwordFile = join(dir, "password");
  writeFileSync(passwordFile, `${SECRET}\n`);
  const db = join(dir, "echo.db");
  const result = await sluice(
    [
      "sync",
      "--qlik",
      connector.address,
      "--statement",
      "echo",
      "--password-file",
      passwordFile,
      "--db",
      db,
      "--name",
      "echo",
    ],
    { env: { ...process.env, SLUICE_QLIK_CONNECTION_STRING: "host=db" } },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    query(db, "SELECT connectionString, password FROM echo_echo").map((row) => [row.connectionString, row.password]),
    [["host=db", SECRET]],
    "the file's password (without its newline) and the environment's connection string reached the connector",
  );
  const both = await sluice([
    "sync",
    "--qlik",
    connector.address,
    "--statement",
    "echo",
    "--password",
    "x",
    "--password-file",
    passwordFile,
  ]);
  assert.equal(both.code, 1, both.stderr);
  assert.match(both.stderr, /give --password or --password-file, not both/);
});

test("a Python connector that cannot serve on a unix socket refuses plain TCP, and serves TCP over mutual TLS with AutoMTLS", async (t) => {
  const dir = tempDir(t);
  // A socket folder whose socket path exceeds the 107 bytes a unix socket may have.
  const longDir = join(dir, "x".repeat(110));
  mkdirSync(longDir);
  const command = `PLUGIN_UNIX_SOCKET_DIR=${longDir} ${examples.pythonGitlog}`;
  const options = JSON.stringify({ repo: gitRepo(join(dir, "repo"), 6), page_size: 5 });
  const refused = await sluice(["sync", "-c", command, "-o", options, "--db", join(dir, "a.db")]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /refusing to serve on TCP without AutoMTLS/);
  const mutual = await sluice([
    "--json",
    "sync",
    "--auto-mtls",
    "-c",
    command,
    "-o",
    options,
    "--db",
    join(dir, "b.db"),
  ]);
  assert.equal(mutual.code, 0, mutual.stderr);
  const summary = JSON.parse(mutual.stdout) as { records: number; transport: string };
  assert.ok(summary.records > 0);
  assert.equal(summary.transport, "grpc+mtls");
  assert.match(mutual.stderr, /serving on TCP 127\.0\.0\.1:\d+ with mutual TLS/);
});

/**
 * The mistakes a new user makes get a helpful answer (issue 17): the message a
 * user sees, the exit code, and nothing left behind (no file in the working
 * folder, no database created, no process still running).
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { countRows, examples, root, run, type RunResult, sluice, sluiceBin, tempDir } from "./helpers.js";
import { serveQlik } from "./qlik-helpers.js";

const scriptedAirbyte = `node ${join(root, "test/fixtures/airbyte/scripted-source.mjs")}`;

/** Pids of processes whose command line mentions `text` (what a mistake could leave running). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

interface Mistake {
  result: RunResult;
  /** What the working folder holds afterwards (besides what the test put there). */
  leftFiles: string[];
}

/** Runs `sluice <args>` in a fresh folder (its own SLUICE_HOME), and says what it left there. */
async function make(
  t: { after(fn: () => void): void },
  args: string[],
  prepare: (dir: string) => void = () => {},
): Promise<Mistake> {
  const dir = tempDir(t);
  const home = join(dir, ".home");
  mkdirSync(home);
  prepare(dir);
  const before = new Set(readdirSync(dir));
  const result = await sluice(args, { cwd: dir, env: { ...process.env, SLUICE_HOME: home } });
  const leftFiles = readdirSync(dir).filter((f) => !before.has(f));
  assert.deepEqual(processesMentioning(dir), [], "no process is left running");
  return { result, leftFiles };
}

/** One clear error: a non-zero exit, the message, and no screenful after it. */
function assertOneClearError(mistake: Mistake, message: RegExp, maxLines = 3): void {
  const { result } = mistake;
  assert.notEqual(result.code, 0, result.stderr);
  assert.match(result.stderr, message);
  const lines = result.stderr.trim().split("\n");
  assert.ok(lines.length <= maxLines, `at most ${maxLines} lines, got:\n${result.stderr}`);
  assert.deepEqual(mistake.leftFiles, [], "no file is created");
}

test("an unknown flag: the error and a one-line hint, not the whole help", async (t) => {
  const mistake = await make(t, ["sync", "--comand", "x"]);
  assert.equal(mistake.result.code, 1);
  assertOneClearError(mistake, /unknown option '--comand'/);
  assert.match(mistake.result.stderr, /\(Did you mean --command\?\)/);
  assert.match(mistake.result.stderr, /\(sluice sync --help for usage and examples\)/);
  assert.doesNotMatch(mistake.result.stderr, /Usage:/);
});

test("airbyte sync without --config: one line naming --config, before the source runs", async (t) => {
  const mistake = await make(t, ["airbyte", "sync", "-c", scriptedAirbyte, "--db", "out.db"]);
  assertOneClearError(
    mistake,
    /^error: sync needs --config <file>: the source's config, as JSON \(its fields: sluice airbyte spec\)$/m,
    1,
  );
});

test("-o with a file name: suggests --options-file", async (t) => {
  const mistake = await make(t, ["sync", "-c", examples.goGenerator, "-o", "opts.json"], (dir) =>
    writeFileSync(join(dir, "opts.json"), '{"count": 1}'),
  );
  assertOneClearError(mistake, /"opts\.json" is a file: to read the options from it, use --options-file opts\.json/, 1);
});

test("--command naming a directory: says it is a directory", async (t) => {
  const mistake = await make(t, ["check", "--command", join(root, "examples")]);
  assertOneClearError(mistake, /is a directory, not a program: name the executable inside it/);
  assert.doesNotMatch(mistake.result.stderr, /chmod/);
});

test("pipeline --to w.db (no sqlite:): suggests sqlite:w.db, and creates no sluice.db on the way", async (t) => {
  const mistake = await make(t, [
    "pipeline",
    "run",
    "--from",
    `builtin:${join(root, "examples/ts/dist/conduit/main.js")}`,
    "--from-config",
    "count=5",
    "--to",
    "w.db",
  ]);
  assertOneClearError(mistake, /--to w\.db: a store is named with its kind, --to sqlite:w\.db/, 1);
});

test("a mistyped --db for a read-only command: an error, and no database created", async (t) => {
  const mistake = await make(t, ["syncs", "--db", "nothere.db"]);
  assertOneClearError(mistake, /nothere\.db/);
});

test("syncs --limit abc: refused, naming the flag, before any store is opened", async (t) => {
  const mistake = await make(t, ["syncs", "--limit", "abc", "--db", "nothere.db"]);
  assertOneClearError(mistake, /--limit must be a positive number \(got "abc"\)/, 1);
});

test("connectors describe: parameter descriptions wrapped in full, not cut mid-sentence", async (t) => {
  const { result, leftFiles } = await make(t, [
    "connectors",
    "describe",
    join(root, "test/interop/conduit/bin/conduit-connector-generator"),
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Allowed values are "create", "update",\n\s+"delete", "snapshot"\./);
  assert.ok(
    result.stdout.split("\n").every((line) => line.length <= 100),
    "no line longer than 100 columns",
  );
  assert.deepEqual(leftFiles, []);
});

test("running a connector whose install failed: the reason in one line, no dangling quote of its output", async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, SLUICE_HOME: join(dir, "home") };
  mkdirSync(join(dir, "source"));
  writeFileSync(
    join(dir, "source", "manifest.json"),
    JSON.stringify({
      name: "broken",
      source: "Local",
      uri: ".",
      install_command: "echo compiling; exit 3",
      command: "./broken",
    }),
  );
  const install = await sluice(["connectors", "install", join(dir, "source", "manifest.json"), "--yes"], { env });
  assert.notEqual(install.code, 0);
  const sync = await sluice(["sync", "broken", "--db", join(dir, "out.db")], { cwd: dir, env });
  assert.notEqual(sync.code, 0);
  assert.match(sync.stderr, /connector "broken" has no working installation: its install failed \(install_command/);
  assert.doesNotMatch(sync.stderr, /output:\)/);
  assert.match(sync.stderr, /\); see `sluice connectors show broken`, then install it again/);
  assert.deepEqual(readdirSync(dir).sort(), ["home", "source"], "no database created");
});

test("a manifest URL answering 404: the error blames that URL, not the manifest's uri", async (t) => {
  const server = createServer((_request, response) => response.writeHead(404).end("no such file"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/manifest.json`;
  const mistake = await make(t, ["connectors", "install", url, "--yes"]);
  assertOneClearError(mistake, /answered HTTP 404 Not Found; check the manifest's URL \(the argument of install\)/);
  assert.doesNotMatch(mistake.result.stderr, /"uri"/);
});

test("serve qlik --listen <port>: a bare port is 127.0.0.1's; a port in use (serve qlik, server) or a bad address: one line", async (t) => {
  const db = join(tempDir(t), "data.db");
  const synced = await sluice(["sync", "-c", examples.goGenerator, "--db", db]);
  assert.equal(synced.code, 0, synced.stderr);
  const served = await serveQlik(t, db, ["--listen", "0"]);
  assert.match(served.address, /^127\.0\.0\.1:\d+$/);
  const port = served.address.split(":")[1];

  const taken = await make(t, ["serve", "qlik", "--no-auth", "--db", db, "--listen", port]);
  // The second line at most is --no-auth's warning; grpc-js's own "E No address added" line is gone.
  assertOneClearError(
    taken,
    new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`, "m"),
    2,
  );
  assert.doesNotMatch(taken.result.stderr, /^E |No address added/m);

  const server = await make(t, ["server", "--db", join(dirname(db), "server.db"), "--listen", port]);
  assertOneClearError(
    server,
    new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`, "m"),
    1,
  );

  const garbled = await make(t, ["serve", "qlik", "--no-auth", "--db", db, "--listen", "localhost"]);
  assertOneClearError(garbled, /--listen must be host:port or a port, e\.g\. 127\.0\.0\.1:8080/, 1);
});

test("output piped into a reader that leaves early (| head): no EPIPE stack trace, and a sync still commits", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "piped.db");
  const sluiceCommand = `${JSON.stringify(process.execPath)} ${JSON.stringify(sluiceBin)}`;
  // `true` exits before Sluice has started, so every write to the pipe fails.
  const help = await run("bash", ["-c", `${sluiceCommand} sync --help | true`]);
  assert.equal(help.stderr, "");
  const sync = await run("bash", [
    "-c",
    `${sluiceCommand} sync -c ${JSON.stringify(examples.goGenerator)} -o '{"count":1000}' --db ${JSON.stringify(db)} 2>&1 | true; echo "sluice exited \${PIPESTATUS[0]}"`,
  ]);
  assert.match(sync.stdout, /sluice exited 0/);
  assert.equal(countRows(db, "generator_users"), 1000);
});

test("a table dropped by hand to load it again: the next sync says it resumes from the saved state, and --full-refresh loads it all", async (t) => {
  const db = join(tempDir(t), "dropped.db");
  const sync = (...more: string[]) =>
    sluice(["sync", "-c", examples.goGenerator, "-o", '{"count":30}', "--db", db, "--no-progress", ...more]);
  assert.equal((await sync()).code, 0);
  const writer = new Database(db);
  writer.exec("DROP TABLE generator_users");
  writer.close();

  const resumed = await sync();
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    /table "generator_users" \(stream "users" of generator\) is gone from .*dropped\.db, dropped outside Sluice: it is made again, empty, and this sync goes on from the connector's saved state, so rows read before are not read again; to load them all again, sync with --full-refresh/,
  );
  assert.equal(countRows(db, "generator_users"), 0);
  const refreshed = await sync("--full-refresh");
  assert.equal(refreshed.code, 0, refreshed.stderr);
  assert.doesNotMatch(refreshed.stderr, /is gone/);
  assert.equal(countRows(db, "generator_users"), 30);
});

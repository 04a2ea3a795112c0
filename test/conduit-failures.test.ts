/**
 * Conduit connectors that die or hang mid-pipeline, with real parts:
 * Conduit's generator and file connectors (built from the Go module proxy)
 * killed with SIGKILL or frozen with SIGSTOP while records flow. A failure is
 * a failure (never a clean end), the pipeline never hangs, Ctrl-C always
 * ends it, and the saved position never runs ahead of what the destination
 * holds.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { countRows, processTree, query, root, sluiceBin, tempDir, until } from "./helpers.js";

const bin = join(root, "test/interop/conduit/bin");
const generator = join(bin, "conduit-connector-generator");
const fileConnector = join(bin, "conduit-connector-file");
/** An endless generator: records keep coming until the pipeline stops. */
const endlessSource = [
  "--from",
  generator,
  ...["recordCount=0", "rate=300", "format.type=structured", "format.options.id=int", "operations=create"].flatMap(
    (pair) => ["--from-config", pair],
  ),
];

interface Running {
  child: ChildProcess;
  stderr(): string;
  /** Waits until `condition` holds while the pipeline runs; fails if it exits first. */
  flowing(condition: () => boolean, what: string): Promise<void>;
  /** Resolves with the exit code, or null if it had to be killed after `boundMs` (a hang). */
  exit(boundMs?: number): Promise<number | null>;
}

function startPipeline(t: { after(fn: () => void): void }, args: string[]): Running {
  const child = spawn(process.execPath, [sluiceBin, "--json", "pipeline", "run", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  child.stdout!.resume();
  const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  // Every process seen under the pipeline: whatever is left of them when the test ends is killed (a
  // connector orphaned by a killed pipeline is no longer under it).
  const seen = new Map<number, string>();
  const look = () => {
    for (const { pid, commandLine } of processTree(child.pid!)) seen.set(pid, commandLine);
  };
  t.after(() => {
    look();
    for (const [pid, commandLine] of seen) if (commandLineOf(pid) === commandLine) killQuietly(pid, "SIGKILL");
  });
  return {
    child,
    stderr: () => stderr,
    flowing: async (condition, what) => {
      await until(() => condition() || child.exitCode !== null, what);
      assert.equal(child.exitCode, null, `the pipeline exited before ${what}:\n${stderr}`);
      look();
    },
    exit: async (boundMs = 90_000) => {
      const bound = new Promise<null>((resolve) => setTimeout(() => resolve(null), boundMs).unref());
      const code = await Promise.race([closed, bound]);
      look();
      if (code === null && child.exitCode === null) child.kill("SIGKILL");
      return code;
    },
  };
}

function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return undefined;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** The pid of the connector process under the pipeline whose command line holds `executable`. */
function connectorPid(pipeline: ChildProcess, executable: string): number {
  // The connector itself, not a shell that started it.
  const found = processTree(pipeline.pid!).find(
    (p) => p.pid !== pipeline.pid && p.commandLine.includes(executable) && !/^(\/bin\/)?sh /.test(p.commandLine),
  );
  assert.ok(found, `no ${executable} process under the pipeline`);
  return found.pid;
}

const lineCount = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").split("\n").length - 1 : 0);

function savedPosition(stateDb: string, key: string): number {
  const row = query<{ state: string }>(stateDb, "SELECT state FROM _sluice_state WHERE connector = ?", key)[0];
  return row ? Number(Buffer.from((JSON.parse(row.state) as { position: string }).position, "base64").toString()) : 0;
}

const lastSync = (db: string) =>
  query<{ status: string; error: string }>(db, "SELECT status, error FROM _sluice_syncs ORDER BY id DESC LIMIT 1")[0];

test("a destination killed mid-run (kill -9 of conduit-connector-file) fails the pipeline, naming it; the saved position is behind what it wrote", async (t) => {
  const dir = tempDir(t);
  const out = join(dir, "out.jsonl");
  const state = join(dir, "state.db");
  const pipeline = startPipeline(t, [
    ...endlessSource,
    ...["--to", fileConnector, "--to-config", `path=${out}`, "--state-db", state, "--name", "killdest"],
  ]);
  await pipeline.flowing(() => lineCount(out) > 50, "records in the destination's file");
  killQuietly(connectorPid(pipeline.child, fileConnector), "SIGKILL");
  const code = await pipeline.exit();
  assert.notEqual(code, null, `the pipeline hung after its destination died:\n${pipeline.stderr()}`);
  assert.equal(code, 1, pipeline.stderr());
  assert.match(pipeline.stderr(), /connector \\?"conduit-connector-file\\?": crashed/);
  const written = lineCount(out);
  const position = savedPosition(state, "pipeline:killdest:source");
  assert.ok(position > 0, "positions were saved while it ran");
  assert.ok(position <= written, `saved position ${position} is ahead of the ${written} records written`);
  assert.equal(lastSync(state).status, "failed");
});

test("a source killed mid-run (kill -9 of the generator) fails the pipeline instead of ending it as a success", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "s.db");
  const pipeline = startPipeline(t, [...endlessSource, "--to", `sqlite:${db}`, "--name", "killsource"]);
  await pipeline.flowing(() => countRows(db, "killsource_records") > 50, "records in the store");
  killQuietly(connectorPid(pipeline.child, generator), "SIGKILL");
  const code = await pipeline.exit();
  assert.notEqual(code, null, `the pipeline hung after its source died:\n${pipeline.stderr()}`);
  assert.equal(code, 1, `a dead source was taken for a clean end:\n${pipeline.stderr()}`);
  assert.match(pipeline.stderr(), /connector \\?"conduit-connector-generator\\?": crashed/);
  assert.equal(lastSync(db).status, "failed");
});

test("Ctrl-C ends a pipeline whose destination stopped answering (SIGSTOP): the stop waits --stop-timeout, then fails", async (t) => {
  const dir = tempDir(t);
  const out = join(dir, "out.jsonl");
  const state = join(dir, "state.db");
  const pipeline = startPipeline(t, [
    ...endlessSource,
    ...["--to", fileConnector, "--to-config", `path=${out}`, "--state-db", state, "--name", "frozen"],
    ...["--stop-timeout", "2"],
  ]);
  await pipeline.flowing(() => lineCount(out) > 50, "records in the destination's file");
  const frozen = connectorPid(pipeline.child, fileConnector);
  killQuietly(frozen, "SIGSTOP");
  t.after(() => killQuietly(frozen, "SIGKILL"));
  pipeline.child.kill("SIGINT");
  const code = await pipeline.exit();
  assert.notEqual(code, null, `Ctrl-C could not end the pipeline:\n${pipeline.stderr()}`);
  assert.notEqual(code, 0);
  assert.match(pipeline.stderr(), /did not stop within 2 s/);
  assert.ok(savedPosition(state, "pipeline:frozen:source") <= lineCount(out));
});

test("a source whose Run stream fails while its process lives on fails the pipeline with the connector's error, not a clean end", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "s.db");
  const failing = `node ${join(root, "test/fixtures/conduit/failing-source.mjs")}`;
  const pipeline = startPipeline(t, [
    ...["--from", failing, "--from-config", "count=1000", "--from-config", "failAfter=30"],
    ...["--to", `sqlite:${db}`, "--name", "broken"],
  ]);
  const code = await pipeline.exit(60_000);
  assert.notEqual(code, null, `the pipeline hung:\n${pipeline.stderr()}`);
  assert.equal(code, 1, `a failed source was taken for a clean end:\n${pipeline.stderr()}`);
  assert.match(pipeline.stderr(), /the upstream feed broke after 30 records/);
  assert.equal(lastSync(db).status, "failed");
  assert.equal(countRows(db, "broken_sequence"), 30, "the records before the failure are kept");
});

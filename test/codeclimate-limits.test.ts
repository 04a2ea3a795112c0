/**
 * Code Climate connectors that break the rules: over the memory limit, over
 * the time limit, an invalid record, a crash, a thrown error. Each ends in a
 * message naming the problem (and the limit with the measured value), the
 * connector's processes are gone, and the records produced before stay.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fixtures, writeJson } from "./codeclimate-helpers.js";
import { query, sluice, tempDir } from "./helpers.js";

const connector = join(fixtures, "codeclimate-connector-misbehave");
const stream = JSON.stringify({ _type: "Stream", id: "s", self: "test://stream/s", name: "S" });

async function misbehave(t: { after(fn: () => void): void }, mode: string, ...flags: string[]) {
  const dir = tempDir(t);
  const config = writeJson(dir, "config.json", { mode, valid: 2500 });
  const db = join(dir, "cc.db");
  const result = await sluice(
    ["codeclimate", "sync-stream", connector, config, stream, "2020-01-01", "--db", db, ...flags],
    { cwd: dir, timeoutMs: 60_000 },
  );
  const actors = query<{ n: number }>(db, "SELECT count(*) AS n FROM misbehave_actor")[0].n;
  const [log] = query<{ status: string; error: string }>(
    db,
    "SELECT status, error FROM _sluice_syncs ORDER BY id DESC LIMIT 1",
  );
  const state = query<{ state: string }>(db, "SELECT state FROM _sluice_state")[0]?.state;
  return { ...result, actors, log, state: state && JSON.parse(state) };
}

function assertKept(outcome: Awaited<ReturnType<typeof misbehave>>): void {
  assert.equal(outcome.code, 1);
  assert.equal(outcome.actors, 2500, "the records produced before the failure are in the store");
  assert.deepEqual(outcome.state.streams.s.metadata, { produced: 2500 }, "and the checkpoint that followed them");
  assert.equal(outcome.log.status, "failed");
}

test("memory: a connector over --memory-limit is killed, with the limit and the measured RSS", async (t) => {
  const outcome = await misbehave(t, "memory", "--memory-limit", "256");
  assertKept(outcome);
  assert.match(
    outcome.stderr,
    /connector "misbehave" was killed: its processes' combined RSS reached [\d.]+ MiB, over the memory limit of 256\.0 MiB/,
  );
  assert.match(outcome.log.error, /over the memory limit/);
});

test("time: a connector that never finishes is killed at --time-limit", async (t) => {
  const outcome = await misbehave(t, "time", "--time-limit", "0.05");
  assert.equal(outcome.code, 1);
  assert.match(outcome.stderr, /connector "misbehave" was killed: it ran for \d+\.\d s, over the time limit of 3\.0 s/);
  assert.equal(outcome.log.status, "failed");
  // The 3 s run from the connector's start: a loaded machine may kill it before all 2500 records are out
  // (assertKept's exact count would measure the load), so what is kept is checked against the checkpoint:
  // the state never claims more than the store holds.
  if (outcome.state) assert.equal(outcome.actors, outcome.state.streams.s.metadata.produced);
});

test("an invalid record fails the sync with every problem and its path; the valid ones before it stay", async (t) => {
  const outcome = await misbehave(t, "invalid");
  assertKept(outcome);
  assert.match(
    outcome.stderr,
    /connector "misbehave" produced an invalid Incident record \(id "x"\): \.htmlUrl must match format "uri", \.status must be one of "triggered", "acknowledged", "resolved", \.createdAt must match format "date-time"/,
  );
});

test("a crash names the exit code and the connector's last output; a thrown error its message", async (t) => {
  const crash = await misbehave(t, "crash");
  assertKept(crash);
  assert.match(
    crash.stderr,
    /connector "misbehave" exited with code 3; its last output:\nabout to crash: the API went away/,
  );
  const thrown = await misbehave(t, "throw");
  assertKept(thrown);
  assert.match(thrown.stderr, /connector "misbehave" failed: the API answered 500/);
});

test("bad input: a config that is not a JSON object, a missing package, an unbuilt package", async (t) => {
  const dir = tempDir(t);
  const notObject = join(dir, "list.json");
  writeJson(dir, "list.json", [1, 2]);
  const result = await sluice(["codeclimate", "verify-configuration", connector, notObject], { cwd: dir });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /the configuration file .*list\.json must hold a JSON object/);
  const missing = await sluice(["codeclimate", "sync", join(dir, "nowhere"), notObject], { cwd: dir });
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /no Code Climate connector at .*nowhere/);
  writeJson(dir, "package.json", { name: "codeclimate-connector-unbuilt", main: "lib/index.js" });
  const unbuilt = await sluice(["codeclimate", "sync", dir, notObject], { cwd: dir });
  assert.equal(unbuilt.code, 1, unbuilt.stderr);
  assert.match(unbuilt.stderr, /main module .*lib\/index\.js does not exist \(is the package built\?/);
});

/**
 * Nothing Sluice starts outlives it (issues 14.6 and 14.8): connectors run in
 * process groups of their own, so Ctrl-C reaches only Sluice, which stops
 * them, removes their temp folders (configs with secrets in them) and exits
 * 128 + the signal; a second signal kills them at once. A Sluice killed with
 * `kill -9` leaves a record under $SLUICE_HOME/running, and the next command
 * reaps what it left, never touching a process that merely reuses a pid.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startingSluice } from "../src/process/cleanup.js";
import { startTicks } from "../src/process/proc.js";
import { countRows, query, root, sluice, sluiceBin, tempDir, until } from "./helpers.js";
import {
  type Background,
  background,
  childOf,
  type Hooks,
  isRunning,
  type Process,
  stopAfter,
} from "./process-helpers.js";

const scripted = `node ${join(root, "test/fixtures/airbyte/scripted-source.mjs")}`;
const stubborn = `node ${join(root, "test/fixtures/stubborn-connector.mjs")}`;

/** Sluice in the background, with its own TMPDIR and SLUICE_HOME. */
function startSluice(t: Hooks, args: string[], env: { tmp: string; home: string }): Background {
  const run = background(process.execPath, [sluiceBin, ...args], {
    ...process.env,
    TMPDIR: env.tmp,
    SLUICE_HOME: env.home,
  });
  stopAfter(t, run.child);
  return run;
}

function dirs(t: { after(fn: () => void): void }): { tmp: string; home: string } {
  const dir = tempDir(t);
  const tmp = join(dir, "tmp");
  mkdirSync(tmp);
  return { tmp, home: join(dir, "home") };
}

const sluiceFolders = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith("sluice-"));

/** Sends `signal` to Sluice: it exits 128 + the signal, its connector is stopped, its temp folders are gone. */
async function interrupt(run: Background, connector: Process, tmp: string, signal: NodeJS.Signals = "SIGINT") {
  run.child.kill(signal);
  assert.equal(await run.exited, 128 + constants.signals[signal], run.stderr());
  assert.ok(!isRunning(connector), "the connector was stopped");
  assert.deepEqual(sluiceFolders(tmp), [], "no temp folder is left");
}

for (const [command, signal] of [
  ["check", "SIGINT"],
  ["spec", "SIGTERM"],
  ["discover", "SIGHUP"],
] as const) {
  test(`${signal} during \`sluice ${command}\`'s handshake wait stops the connector, removes its temp folder and exits ${128 + constants.signals[signal]}`, async (t) => {
    const env = dirs(t);
    const run = startSluice(t, [command, "-c", "sleep 600", ...(command === "spec" ? [] : ["-o", "{}"])], env);
    const connector = await childOf(run.pid);
    assert.equal(sluiceFolders(env.tmp).length, 1, "the plugin's socket folder exists while it runs");
    await interrupt(run, connector, env.tmp, signal);
  });
}

test("Ctrl-C during an Airbyte check removes the folder holding its 0600 config.json", async (t) => {
  const env = dirs(t);
  const config = join(tempDir(t), "hang.json");
  writeFileSync(config, JSON.stringify({ records: 1, hang: "check", password: "hunter2" }));
  const run = startSluice(t, ["airbyte", "check", "-c", scripted, "--config", config], env);
  await until(() => {
    const [folder] = sluiceFolders(env.tmp);
    return folder !== undefined && readdirSync(join(env.tmp, folder)).includes("config.json");
  }, "the check to start");
  await interrupt(run, await childOf(run.pid), env.tmp);
});

test("Ctrl-C while `sluice sync` still starts its connector stops it too", async (t) => {
  const env = dirs(t);
  const run = startSluice(t, ["sync", "-c", "sleep 600", "-o", "{}", "--db", join(env.tmp, "..", "s.db")], env);
  await interrupt(run, await childOf(run.pid), env.tmp);
});

test("Ctrl-C mid-read of `sluice sync`: the connector stopped, the pages written and their checkpoint kept, the run logged cancelled", async (t) => {
  const env = dirs(t);
  const db = join(env.tmp, "..", "s.db");
  const hanging = `node ${join(root, "test/fixtures/scripted-connector.mjs")}`;
  const run = startSluice(t, ["sync", "-c", hanging, "-o", '{"pages": 2, "then": "hang"}', "--db", db], env);
  await until(() => countRows(db, "scripted_connector_items") === 20, "both pages to be written");
  await interrupt(run, await childOf(run.pid), env.tmp);
  assert.match(run.stderr(), /was cancelled/);
  assert.equal(countRows(db, "scripted_connector_items"), 20);
  assert.deepEqual(query(db, "SELECT status, pages FROM _sluice_syncs"), [{ status: "cancelled", pages: 2 }]);
  assert.deepEqual(JSON.parse(query<{ state: string }>(db, "SELECT state FROM _sluice_state")[0].state), { page: 2 });
});

test("Ctrl-C of `codeclimate-connector` (upstream's CLI) stops the connector's process too", async (t) => {
  const env = dirs(t);
  const config = join(tempDir(t), "config.json");
  writeFileSync(config, JSON.stringify({ mode: "time", valid: 10 }));
  const stream = JSON.stringify({ _type: "Stream", id: "s", self: "test://stream/s", name: "S" });
  const connector = join(root, "test/fixtures/codeclimate/codeclimate-connector-misbehave");
  const cli = join(root, "bin/codeclimate-connector.js");
  const run = background(process.execPath, [cli, "sync-stream", connector, config, stream, "2020-01-01"], {
    ...process.env,
    TMPDIR: env.tmp,
    SLUICE_HOME: env.home,
  });
  stopAfter(t, run.child);
  await until(() => /Produced record/.test(run.stdout()), "records to be printed");
  await interrupt(run, await childOf(run.pid), env.tmp);
});

test("a second Ctrl-C kills a connector deaf to Shutdown and SIGTERM at once", async (t) => {
  const env = dirs(t);
  const db = join(env.tmp, "..", "s.db");
  const args = [
    "--log-level",
    "debug",
    "sync",
    "-c",
    stubborn,
    "--protocol",
    "sluice",
    "-o",
    '{"pages": 2, "then": "hang"}',
  ];
  const run = startSluice(t, [...args, "--db", db], env);
  const connector = await childOf(run.pid);
  await until(() => countRows(db, "stubborn_connector_items") > 0, "pages to arrive");
  run.child.kill("SIGINT");
  await until(() => /ignoring a request to exit/.test(run.stderr()), "the connector to ignore Shutdown");
  run.child.kill("SIGINT");
  assert.equal(await run.exited, 130);
  assert.match(run.stderr(), /SIGINT again: killing what Sluice started/);
  assert.ok(!isRunning(connector), "killed with SIGKILL");
  assert.deepEqual(sluiceFolders(env.tmp), []);
});

test("after a `kill -9` of Sluice, the next command stops the connector it left and removes its temp folder", async (t) => {
  const env = dirs(t);
  const run = startSluice(t, ["check", "-c", "sleep 600", "-o", "{}"], env);
  const connector = await childOf(run.pid);
  await until(() => readdirSync(env.home, { recursive: true }).length > 1, "the record of what it started");
  run.child.kill("SIGKILL");
  await run.exited;
  assert.ok(isRunning(connector), "kill -9 leaves the connector running");
  assert.equal(sluiceFolders(env.tmp).length, 1, "and its temp folder");

  const next = await sluice(["connectors", "list"], {
    env: { ...process.env, TMPDIR: env.tmp, SLUICE_HOME: env.home },
  });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, new RegExp(`stopped a connector that Sluice process ${run.pid} left running`));
  assert.ok(!isRunning(connector), "the next command stopped it");
  assert.deepEqual(sluiceFolders(env.tmp), []);
  assert.deepEqual(readdirSync(join(env.home, "running")), [], "and the record is gone");
});

test("a record a killed Sluice was still writing (its .tmp copy) is reaped or, cut short, removed", async (t) => {
  const env = dirs(t);
  const running = join(env.home, "running");
  mkdirSync(running, { recursive: true });
  // Hosts that have ended: pids of processes that ran and exited, under start times of their own.
  const ended = async () => {
    const child = spawn("true");
    await new Promise((resolve) => child.on("exit", resolve));
    return `${child.pid}-1`;
  };
  const [whole, cut] = [await ended(), await ended()];
  const snapshot = {
    runId: whole,
    groups: [],
    folders: [],
    starting: false,
    bootId: undefined,
    hostPid: 1,
    hostStartTicks: "1",
  };
  writeFileSync(join(running, `${whole}.json.4242.tmp`), JSON.stringify(snapshot));
  writeFileSync(join(running, `${cut}.json.4243.tmp`), '{"runId": "');
  const next = await sluice(["connectors", "list"], {
    env: { ...process.env, TMPDIR: env.tmp, SLUICE_HOME: env.home },
  });
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(readdirSync(running), []);
});

test("`kill -9` of `sluice airbyte sync` mid-run: the next sync reaps the source and its temp folder, then resumes", async (t) => {
  const env = dirs(t);
  const dir = tempDir(t);
  const db = join(dir, "a.db");
  const config = join(dir, "c.json");
  writeFileSync(config, JSON.stringify({ records: 50, stateEvery: 10, hang: "read" }));
  const args = ["airbyte", "sync", "-c", scripted, "--config", config, "--db", db, "--name", "s"];
  const run = startSluice(t, args, env);
  const source = await childOf(run.pid, / read /);
  await until(() => countRows(db, "s_items") === 50, "the records before the last state");
  run.child.kill("SIGKILL");
  await run.exited;
  assert.ok(isRunning(source));

  writeFileSync(config, JSON.stringify({ records: 60, stateEvery: 10 }));
  const next = await sluice(args, { env: { ...process.env, TMPDIR: env.tmp, SLUICE_HOME: env.home } });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /stopped a connector that Sluice process \d+ left running when it died: sh -c node /);
  assert.ok(!isRunning(source));
  assert.deepEqual(sluiceFolders(env.tmp), []);
  assert.equal(query(db, "SELECT id FROM s_items").length, 60);
});

test("a record whose pid now belongs to another process (another start time) never gets it killed", async (t) => {
  const env = dirs(t);
  const bystander = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
  t.after(() => bystander.kill("SIGKILL"));
  const pid = bystander.pid!;
  await until(() => startTicks(pid) !== undefined, "the bystander to run");
  const ticks = startTicks(pid)!;
  const running = join(env.home, "running");
  mkdirSync(running, { recursive: true });
  const record = (hostPid: number, hostTicks: string, groupTicks: string) => ({
    runId: `${hostPid}-${hostTicks}`,
    bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
    hostPid,
    hostStartTicks: hostTicks,
    groups: [{ pgid: pid, startTicks: groupTicks, command: "sleep 600" }],
    folders: [],
  });
  // A dead host (no such start time) whose group id is now the bystander's, started at another time.
  writeFileSync(join(running, "dead.json"), JSON.stringify(record(pid, "1", String(Number(ticks) - 1))));
  // A live host (this test process): its record is left alone, even though it names the bystander exactly.
  const self = `${process.pid}-${startTicks(process.pid)}.json`;
  writeFileSync(join(running, self), JSON.stringify(record(process.pid, startTicks(process.pid)!, ticks)));

  const next = await sluice(["connectors", "list"], {
    env: { ...process.env, TMPDIR: env.tmp, SLUICE_HOME: env.home },
  });
  assert.equal(next.code, 0, next.stderr);
  assert.ok(isRunning({ pid, ticks }), "the bystander still runs");
  assert.doesNotMatch(next.stderr, /left running/);
  assert.deepEqual(readdirSync(running), [self], "the dead host's record is consumed, the live one's kept");
});

test("a connector started just before the kill, before its record was written, is found by the run id it carries", async (t) => {
  const env = dirs(t);
  const sleeper = (runId: string) => {
    const child = spawn("sleep", ["600"], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, SLUICE_RUN_ID: runId },
    });
    t.after(() => child.kill("SIGKILL"));
    return child.pid!;
  };
  // The dead host (no process has this pid and start time) was starting a child when it was killed:
  // its record names no group yet. Another host's child carries another run id.
  const orphan = sleeper("999999999-1");
  const other = sleeper("999999998-1");
  await until(() => startTicks(orphan) !== undefined && startTicks(other) !== undefined, "both to run");
  const running = join(env.home, "running");
  mkdirSync(running, { recursive: true });
  const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  const record = { runId: "999999999-1", bootId, hostPid: 999999999, hostStartTicks: "1", groups: [], folders: [] };
  writeFileSync(join(running, "999999999-1.json"), JSON.stringify({ ...record, starting: true }));

  const next = await sluice(["connectors", "list"], {
    env: { ...process.env, TMPDIR: env.tmp, SLUICE_HOME: env.home },
  });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /stopped a connector that Sluice process 999999999 left running when it died: sleep/);
  assert.equal(startTicks(orphan), undefined, "the orphan was stopped");
  assert.notEqual(startTicks(other), undefined, "another host's child still runs");
  assert.deepEqual(readdirSync(running), []);
});

test("SLUICE_RUN_ID: a plugin watches the Sluice it names when that is an ancestor or has ended, never another program", () => {
  const named = (pid: number, ticks: string | undefined) => ({ SLUICE_RUN_ID: `${pid}-${ticks}` });
  const parentTicks = startTicks(process.ppid)!;
  assert.deepEqual(startingSluice(named(process.ppid, parentTicks)), { pid: process.ppid, ticks: parentTicks });
  assert.deepEqual(
    startingSluice(named(process.ppid, "1")),
    { pid: process.ppid, ticks: "1" },
    "ended, its pid reused",
  );
  assert.equal(startingSluice(named(process.pid, startTicks(process.pid))), undefined, "running, but no ancestor");
  for (const value of ["", "garbage", "1-5", "12-"])
    assert.equal(startingSluice({ SLUICE_RUN_ID: value }), undefined, JSON.stringify(value));
});

// What `kill -9` of `sluice sync` mid-run leaves behind, N times over, for
// two kinds of connector: the Go example connector (Sluice's Go SDK, which
// exits when its host is gone) and a third-party Airbyte source (which does
// not; the next Sluice command reaps it). Counts the connector processes
// still running and the temp folders left, once after the kills (a few
// seconds later) and again after one more Sluice command. Prints one JSON
// object. SLUICE_ROOT picks the checkout whose bin/sluice.js runs (to
// measure another build); N (default 10) the number of kills per kind.
//
//   BENCH_ONLY=leftovers node bench/run.mjs      (or: node bench/leftovers.mjs)
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";

const checkout = resolve(process.env.SLUICE_ROOT ?? new URL("..", import.meta.url).pathname);
const kills = Number(process.env.N ?? 10);
const SETTLE_MS = 3000;
const work = mkdtempSync(join(tmpdir(), "sluice-bench-leftovers-"));

const startTicks = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
};
const parentOf = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
};
const pids = () =>
  readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
/** The host's descendants, each with its start time. */
const descendants = (root) => {
  const found = [];
  for (let frontier = [root]; frontier.length; ) {
    const next = pids().filter((p) => frontier.includes(parentOf(p)));
    found.push(...next.map((pid) => ({ pid, ticks: startTicks(pid) })));
    frontier = next;
  }
  return found;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(probe, timeoutMs = 60_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) if (probe()) return;
  throw new Error("timed out");
}
const rows = (db, table) => {
  try {
    const handle = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return handle.prepare(`SELECT count(*) AS n FROM ${table}`).get().n;
    } finally {
      handle.close();
    }
  } catch {
    return 0;
  }
};

const scripted = join(checkout, "test/fixtures/airbyte/scripted-source.mjs");
const kinds = {
  "go-sdk": () => ({
    args: [
      "sync",
      "-c",
      join(checkout, "examples/go/generator/bin/generator"),
      "-o",
      '{"count": 1000000000, "sleep_ms_per_page": 100}',
    ],
    table: "generator_users",
  }),
  "airbyte-source": (dir) => {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ records: 20, stateEvery: 10, hang: "read" }));
    return { args: ["airbyte", "sync", "-c", `node ${scripted}`, "--config", config, "--name", "s"], table: "s_items" };
  },
};

const results = {};
for (const [kind, setup] of Object.entries(kinds)) {
  const home = join(work, kind, "home");
  const tmp = join(work, kind, "tmp");
  mkdirSync(tmp, { recursive: true });
  const env = { ...process.env, SLUICE_HOME: home, TMPDIR: tmp };
  const started = [];
  for (let i = 0; i < kills; i++) {
    const dir = join(work, kind, `run${i}`);
    mkdirSync(dir);
    const { args, table } = setup(dir);
    const db = join(dir, "s.db");
    const host = spawn(process.execPath, [join(checkout, "bin/sluice.js"), ...args, "--db", db], {
      env,
      stdio: "ignore",
    });
    await until(() => rows(db, table) > 0);
    started.push(descendants(host.pid));
    host.kill("SIGKILL");
    await new Promise((r) => host.on("close", r));
  }
  await sleep(SETTLE_MS);
  const alive = (p) => p.ticks && startTicks(p.pid) === p.ticks;
  const count = () => ({
    runsLeavingProcesses: started.filter((run) => run.some(alive)).length,
    processes: started.flat().filter(alive).length,
    tempFolders: readdirSync(tmp).filter((n) => n.startsWith("sluice-")).length,
  });
  const afterKills = count();
  spawnSync(process.execPath, [join(checkout, "bin/sluice.js"), "connectors", "list"], { env, stdio: "ignore" });
  const afterNextCommand = count();
  for (const p of started.flat().filter(alive)) process.kill(p.pid, "SIGKILL"); // what "before" builds leave
  results[kind] = { kills, afterKills, afterNextCommand };
}
rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify({ bench: "leftovers", checkout, ...results }));

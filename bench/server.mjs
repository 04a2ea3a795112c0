// The server's figures: API latency listing 1,000 runs (p50/p99 over repeated
// calls), and the server process's RSS idle and during a 1M-record sync of the
// Go example connector (sampled from /proc every 100 ms). A real `sluice
// server` on a real SQLite file; prints one JSON line.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const root = fileURLToPath(new URL("..", import.meta.url));
const RECORDS = Number(process.env.BENCH_SERVER_RECORDS ?? 1_000_000);
const RUNS = 1000;
const CALLS = Number(process.env.BENCH_SERVER_CALLS ?? 300);

const dir = mkdtempSync(join(tmpdir(), "sluice-bench-server-"));
const home = join(dir, "home");
const db = join(dir, "app.db");
const env = { ...process.env, SLUICE_HOME: home };
const sluice = (...args) => {
  const result = spawnSync(process.execPath, [join(root, "bin/sluice.js"), ...args], { env, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`sluice ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
};

try {
  writeFileSync(
    join(dir, "generator.json"),
    JSON.stringify({
      name: "generator",
      source: "Local",
      uri: join(root, "examples/go/generator"),
      command: "./bin/generator",
    }),
  );
  sluice("connectors", "install", join(dir, "generator.json"), "--yes");
  sluice(
    "connections",
    "create",
    "--name",
    "big",
    "--connector",
    "generator",
    "--db",
    db,
    "--options",
    JSON.stringify({ count: RECORDS, page_size: 5000 }),
  );
  sluice("connections", "create", "--name", "history", "--connector", "generator", "--db", db, "--options", "{}");
  // 1,000 finished runs of one connection, as the history the API lists.
  const handle = new Database(db);
  const insert = handle.prepare(
    "INSERT INTO _sluice_runs (connection_id, trigger, status, owner, queued_at, started_at, finished_at, pages, records, inserted, updated, unchanged, duration_ms, records_per_second) " +
      "VALUES (2, 'schedule', 'succeeded', 'bench@here', ?, ?, ?, 10, 10000, 10000, 0, 0, 1000, 10000)",
  );
  handle.transaction(() => {
    for (let i = 0; i < RUNS; i++) {
      const at = new Date(Date.UTC(2026, 0, 1) + i * 3600_000).toISOString();
      insert.run(at, at, at);
    }
  })();
  handle.close();

  const server = spawn(
    process.execPath,
    [join(root, "bin/sluice.js"), "--json", "server", "--db", db, "--listen", "127.0.0.1:0"],
    {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const { url, token } = await new Promise((resolve) =>
    server.stdout.once("data", (d) => resolve(JSON.parse(String(d).split("\n")[0]))),
  );
  const headers = { authorization: `Bearer ${token}` };
  const rss = () => Number(readFileSync(`/proc/${server.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) * 1024;

  for (let i = 0; i < 20; i++) await (await fetch(`${url}/api/connections/2/runs?limit=1000`, { headers })).json();
  const latencies = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    const runs = await (await fetch(`${url}/api/connections/2/runs?limit=1000`, { headers })).json();
    latencies.push(performance.now() - started);
    if (runs.length !== RUNS) throw new Error(`listed ${runs.length} runs`);
  }
  latencies.sort((a, b) => a - b);
  const percentile = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idleRss = rss();

  const run = await (await fetch(`${url}/api/connections/1/runs`, { method: "POST", headers })).json();
  let peakRss = 0;
  let finished;
  const started = performance.now();
  while (!finished) {
    peakRss = Math.max(peakRss, rss());
    const current = await (await fetch(`${url}/api/runs/${run.id}`, { headers })).json();
    if (current.finishedAt) finished = current;
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  server.kill("SIGTERM");
  await new Promise((resolve) => server.on("exit", resolve));
  if (finished.status !== "succeeded") throw new Error(`the sync ${finished.status}: ${finished.error}`);
  console.log(
    JSON.stringify({
      bench: "server",
      runsListed: RUNS,
      calls: CALLS,
      listRunsP50Ms: Number(percentile(50).toFixed(2)),
      listRunsP99Ms: Number(percentile(99).toFixed(2)),
      idleRssMiB: Math.round(idleRss / 1048576),
      records: finished.records,
      syncSeconds: Number(seconds.toFixed(1)),
      recordsPerSecond: finished.recordsPerSecond,
      peakRssDuringSyncMiB: Math.round(peakRss / 1048576),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

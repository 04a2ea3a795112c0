// Syncs through Temporal (issue 16): small syncs per minute with 1 and 2
// `sluice worker`s (the scaling ratio, measured in the same run), the latency
// a run gains through Temporal against the same sync in-process, and a
// worker's RSS. Real parts: the Temporal dev server (scripts/build-temporal.sh),
// PostgreSQL (scripts/setup-postgres.sh: role sluice_test), the Go generator.
import { Client, Connection } from "@temporalio/client";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const root = fileURLToPath(new URL("..", import.meta.url));
const { openSource, openStore, runSync } = await import(join(root, "dist/engine/index.js"));
const { startSync } = await import(join(root, "dist/worker/index.js"));

const SYNCS = Number(process.env.BENCH_TEMPORAL_SYNCS ?? 40);
const LATENCY_RUNS = 7;
const SMALL = { count: 200, page_size: 100 };
const pgPort = Number(process.env.SLUICE_TEST_PGPORT ?? 5432);
const temporalBin = execFileSync("bash", [join(root, "scripts/build-temporal.sh")], { encoding: "utf8" }).trim();
const scratch = mkdtempSync(join(tmpdir(), "sluice-bench-temporal-"));
const children = [];

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const kib = (pid, field) =>
  Number(readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+)`))[1]);

async function until(check, what, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench temporal: gave up waiting for ${what}`);
    await sleep(100);
  }
}

function start(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.output = "";
  child.stdout.on("data", (d) => (child.output += d));
  child.stderr.on("data", (d) => (child.output += d));
  children.push(child);
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

const database = `sluice_bench_${randomBytes(4).toString("hex")}`;
const admin = new pg.Client({
  host: "127.0.0.1",
  port: pgPort,
  database: "postgres",
  user: "sluice_test",
  password: "sluice_test",
});
process.env.PGPASSWORD = "sluice_test";
const db = `postgres://sluice_test@127.0.0.1:${pgPort}/${database}`;
const home = join(scratch, "home");
const manifest = join(scratch, "generator.json");
writeFileSync(
  manifest,
  JSON.stringify({
    name: "generator",
    source: "Local",
    uri: join(root, "examples/go/generator/bin"),
    command: "./generator",
    protocol: "sluice",
  }),
);
const env = { SLUICE_HOME: home };

try {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  execFileSync(process.execPath, [join(root, "bin/sluice.js"), "connectors", "install", manifest, "--yes"], {
    env: { ...process.env, ...env },
    stdio: "ignore",
  });

  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  start(temporalBin, [
    "server",
    "start-dev",
    "--headless",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--http-port",
    String(await freePort()),
    "--metrics-port",
    String(await freePort()),
    "--db-filename",
    join(scratch, "temporal.db"),
    "--log-level",
    "error",
  ]);
  const connection = await (async () => {
    for (;;) {
      try {
        return await Connection.connect({ address, connectTimeout: "2s" });
      } catch {
        await sleep(200);
      }
    }
  })();
  const client = new Client({ connection });

  const startWorker = async (queue) => {
    const worker = start(
      process.execPath,
      [
        join(root, "bin/sluice.js"),
        "worker",
        "--temporal",
        address,
        "--task-queue",
        queue,
        "--db",
        db,
        "--max-concurrent-syncs",
        "4",
      ],
      env,
    );
    await until(() => worker.output.includes("polls task queue"), "a worker to poll");
    return worker;
  };
  const input = (connection, options = SMALL) => ({
    connection,
    connector: "generator",
    options: JSON.stringify(options),
  });

  // Syncs per minute: the same batch of small syncs with one worker, then with two.
  const rates = {};
  const rss = [];
  for (const workers of [1, 2]) {
    const queue = `bench-${workers}`;
    const pool = await Promise.all(Array.from({ length: workers }, () => startWorker(queue)));
    await (await startSync(client, queue, input(`warm${workers}`))).result();
    const began = performance.now();
    const handles = await Promise.all(
      Array.from({ length: SYNCS }, (_, i) => startSync(client, queue, input(`w${workers}_${i}`))),
    );
    await Promise.all(handles.map((h) => h.result()));
    const seconds = (performance.now() - began) / 1000;
    rates[workers] = {
      syncs: SYNCS,
      seconds: Number(seconds.toFixed(1)),
      syncsPerMinute: Math.round((SYNCS / seconds) * 60),
    };
    for (const worker of pool)
      rss.push({
        rssMiB: Math.round(kib(worker.pid, "VmRSS") / 1024),
        peakMiB: Math.round(kib(worker.pid, "VmHWM") / 1024),
      });
    await Promise.all(pool.map(stop));
  }

  // Latency: one small sync, in this process through the engine, and through Temporal with a warm worker.
  const store = await openStore(db);
  const inProcess = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const began = performance.now();
    const { driver } = await openSource({ installed: "generator", name: `inproc${i}` }, { home });
    try {
      await runSync({ connector: `inproc${i}`, driver, store, options: JSON.stringify(SMALL) });
    } finally {
      await driver.close();
    }
    inProcess.push(performance.now() - began);
  }
  await store.close();
  const worker = await startWorker("bench-latency");
  const idleMiB = Math.round(kib(worker.pid, "VmRSS") / 1024);
  await (await startSync(client, "bench-latency", input("lat-warm"))).result();
  const throughTemporal = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const began = performance.now();
    await (await startSync(client, "bench-latency", input(`lat${i}`))).result();
    throughTemporal.push(performance.now() - began);
  }
  await stop(worker);
  await connection.close();

  const inProcessMs = Math.round(median(inProcess));
  const temporalMs = Math.round(median(throughTemporal));
  console.log(
    JSON.stringify({
      bench: "temporal",
      syncRecords: SMALL.count,
      oneWorker: rates[1],
      twoWorkers: rates[2],
      scaling: Number((rates[2].syncsPerMinute / rates[1].syncsPerMinute).toFixed(2)),
      latency: { inProcessMs, temporalMs, addedMs: temporalMs - inProcessMs, runs: LATENCY_RUNS },
      workerRss: { idleMiB, afterSyncs: rss },
      loadAverage: loadavg().map((n) => Number(n.toFixed(2))),
    }),
  );
} finally {
  for (const child of children) await stop(child).catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  await admin.end().catch(() => {});
  rmSync(scratch, { recursive: true, force: true });
}

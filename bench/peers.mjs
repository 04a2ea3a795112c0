// Peers benchmark (`npm run bench:peers`): the same work through Sluice and
// through the tools data engineers would otherwise pick, measured in the same
// run on the same machine, into the same kind of database.
//   1. airbyte-source-faker (seed 42, N `users`) → DuckDB: Sluice (--db
//      duckdb:…) vs PyAirbyte's read() into its default DuckDB cache. Same
//      source executable, so the difference is the host.
//   2. N users from a Python generator merged on the primary key into each of
//      BENCH_PEERS_DESTINATIONS (default duckdb,postgres; sqlite also works):
//      Sluice's Python SDK connector vs dlt (write_disposition="merge") into
//      the same destination. PostgreSQL: a database of each side's own on the
//      local test server (bench/common.mjs), dropped at the end.
// Peak RSS of host and connector are sampled from /proc every 100 ms.
// Prints one JSON object per comparison.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchDatabase, sourceRate } from "./common.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const records = Number(process.env.BENCH_PEERS_RECORDS ?? 1_000_000);
const destinations = (process.env.BENCH_PEERS_DESTINATIONS ?? "duckdb,postgres").split(",");
const peersPython = join(root, "bench/.venv-peers/bin/python");
const faker = join(root, ".venv-airbyte/bin/source-faker");
const work = mkdtempSync(join(tmpdir(), "sluice-bench-peers-"));

function rssOf(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function descendants(pid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** Runs a command; wall time, stdout, and the peak RSS of the process itself and of its largest descendant. */
function measure(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd ?? work,
      // PyAirbyte logs to /tmp/airbyte/logs unless told otherwise: kept in the work folder, removed with it.
      env: {
        ...process.env,
        DO_NOT_TRACK: "1",
        AIRBYTE_OFFLINE_MODE: "1",
        AIRBYTE_LOGGING_ROOT: join(work, "airbyte-logs"),
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    let host = 0;
    let connector = 0;
    const sampler = setInterval(() => {
      host = Math.max(host, rssOf(child.pid));
      for (const pid of descendants(child.pid)) connector = Math.max(connector, rssOf(pid));
    }, 100);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} exited ${code}\n${stderr}`));
      resolve({
        seconds: (performance.now() - started) / 1000,
        stdout,
        hostPeakMiB: Math.round(host / 2 ** 20),
        connectorPeakMiB: Math.round(connector / 2 ** 20),
      });
    });
  });
}

/** The Airbyte faker's own rate for `config`: its users read through Sluice's Airbyte driver, and dropped. */
async function fakerRate(config) {
  const { AirbyteDriver } = await import("../dist/engine/index.js");
  return sourceRate(new AirbyteDriver({ name: "faker", command: faker }), JSON.stringify(config), ["users"]);
}

const pythonGenerator = `${join(root, ".venv/bin/python")} ${join(root, "bench/peers/sluice_generator.py")}`;

/** The Python generator's own rate: its pages read through the native driver, and dropped. */
async function pythonGeneratorRate() {
  const { openConnector } = await import("../dist/engine/index.js");
  const driver = await openConnector({ name: "pygen", command: { shell: pythonGenerator }, protocol: "sluice" });
  try {
    return await sourceRate(driver, JSON.stringify({ count: records }));
  } finally {
    await driver.close();
  }
}

const sluice = (args) => measure(process.execPath, [join(root, "bin/sluice.js"), "--json", ...args]);
const rate = (n, seconds) => Math.round(n / seconds);
/** A measured run's figures for the JSON line. */
const figures = (run) => ({
  seconds: +run.seconds.toFixed(1),
  recordsPerSecond: rate(records, run.seconds),
  hostPeakMiB: run.hostPeakMiB,
  connectorPeakMiB: run.connectorPeakMiB,
});

async function fakerVsPyAirbyte() {
  const config = { count: records, seed: 42, records_per_slice: 1000, parallelism: 2, always_updated: false };
  const configFile = join(work, "faker.json");
  writeFileSync(configFile, JSON.stringify(config));
  const ours = await sluice([
    "airbyte",
    "sync",
    "-c",
    faker,
    "--config",
    configFile,
    "--streams",
    "users",
    "--db",
    `duckdb:${join(work, "faker.duckdb")}`,
    "--name",
    "faker",
  ]);
  const summary = JSON.parse(ours.stdout);
  const theirs = await measure(peersPython, [
    join(root, "bench/peers/pyairbyte_read.py"),
    faker,
    JSON.stringify(config),
  ]);
  const peer = JSON.parse(theirs.stdout.trim().split("\n").pop());
  if (summary.records !== records || peer.records !== records)
    throw new Error(`record counts differ: Sluice ${summary.records}, PyAirbyte ${peer.records}, expected ${records}`);
  return {
    bench: "peers-airbyte-faker",
    destination: "duckdb",
    records,
    sluice: figures(ours),
    pyairbyte: figures(theirs),
    sluiceOverPyAirbyte: +(theirs.seconds / ours.seconds).toFixed(2),
    source: await fakerRate(config),
  };
}

/** Where each side writes for `kind`: its --db for Sluice, its location for dlt, and how to clean up. */
async function destinationFor(kind, side) {
  if (kind === "postgres") {
    const database = await benchDatabase(`peers_${side}`);
    return { sluiceDb: database.url, dltLocation: database.url, drop: database.drop };
  }
  const file = join(work, `${side}.${kind === "duckdb" ? "duckdb" : "db"}`);
  return { sluiceDb: kind === "duckdb" ? `duckdb:${file}` : file, dltLocation: file, drop: async () => {} };
}

async function generatorVsDlt(kind) {
  const ours = await destinationFor(kind, "sluice");
  const theirs = await destinationFor(kind, "dlt");
  try {
    const sluiceRun = await sluice([
      "sync",
      "-c",
      pythonGenerator,
      "--options",
      JSON.stringify({ count: records }),
      "--db",
      ours.sluiceDb,
      "--name",
      "pygen",
    ]);
    const summary = JSON.parse(sluiceRun.stdout);
    const dltRun = await measure(peersPython, [
      join(root, "bench/peers/dlt_generator.py"),
      String(records),
      kind,
      theirs.dltLocation,
      join(work, `dlt-pipelines-${kind}`),
    ]);
    if (summary.records !== records) throw new Error(`Sluice wrote ${summary.records} records, expected ${records}`);
    return {
      bench: "peers-python-generator-merge",
      destination: kind,
      records,
      sluice: figures(sluiceRun),
      dlt: {
        seconds: +dltRun.seconds.toFixed(1),
        recordsPerSecond: rate(records, dltRun.seconds),
        peakMiB: dltRun.hostPeakMiB,
      },
      sluiceOverDlt: +(dltRun.seconds / sluiceRun.seconds).toFixed(2),
      source: await pythonGeneratorRate(),
    };
  } finally {
    await ours.drop();
    await theirs.drop();
  }
}

const comparisons = [
  ["fakerVsPyAirbyte (DuckDB)", fakerVsPyAirbyte],
  ...destinations.map((kind) => [`generatorVsDlt (${kind})`, () => generatorVsDlt(kind)]),
];

try {
  for (const [name, comparison] of comparisons) {
    if (process.env.BENCH_PEERS_ONLY && !name.startsWith(process.env.BENCH_PEERS_ONLY)) continue;
    console.error(`==> ${name} (${records} records)`);
    console.log(JSON.stringify({ ...(await comparison()), loadAverage: loadavg().map((l) => +l.toFixed(2)) }));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

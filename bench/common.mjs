// What several benchmarks share: a PostgreSQL database of their own, and a
// sync of N records from the Go example connector into any store. One copy, so
// every benchmark measures Sluice the same way.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const generatorCommand = join(root, "examples/go/generator/bin/generator");

/** The local test server's port; scripts/setup-postgres.sh starts it when needed. */
function localPostgresPort() {
  const output = execFileSync("bash", [join(root, "scripts/setup-postgres.sh")], { encoding: "utf8" });
  return Number(output.trim().split("\n").pop());
}

async function runAdmin(admin, sql) {
  const client = new pg.Client(admin);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Drops a benchmark's database. Plain DROP first: it stops an autovacuum worker
 * busy there (likely right after a bulk load), which WITH (FORCE) refuses to do
 * for a role that is not a superuser ("must be a member of the role whose
 * process is being terminated"), losing the run's figures. FORCE only when a
 * connection of ours is still open (55006, in use by other users).
 */
async function dropDatabase(admin, name) {
  try {
    await runAdmin(admin, `DROP DATABASE IF EXISTS ${name}`);
  } catch (error) {
    if (error.code !== "55006") throw error;
    await runAdmin(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/**
 * A PostgreSQL database for one benchmark: BENCH_PG_URL as it is, or a fresh
 * database named after `label` on the local test server, which `drop` removes.
 * The password travels in PGPASSWORD (never in the URL, which shows in `ps`).
 */
export async function benchDatabase(label) {
  if (process.env.BENCH_PG_URL) return { url: process.env.BENCH_PG_URL, drop: async () => {} };
  const port = localPostgresPort();
  process.env.PGPASSWORD ??= "sluice_test";
  const admin = { host: "127.0.0.1", port, user: "sluice_test", database: "postgres" };
  const name = `sluice_bench_${label}_${process.pid}`;
  await runAdmin(admin, `CREATE DATABASE ${name}`);
  return {
    url: `postgres://sluice_test@127.0.0.1:${port}/${name}`,
    drop: () => dropDatabase(admin, name),
  };
}

/**
 * CPU seconds spent so far by this process and by its ended, reaped children (the connector, once closed):
 * /proc/self/stat's utime + stime and cutime + cstime, in clock ticks of 1/100 s.
 */
function cpuSeconds() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  // After the command name (field 2), which may itself hold ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = (...at) => at.reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
  // Fields 14-17 of stat(5), counted here from field 3 (state) as index 0.
  return { host: ticks(11, 12), children: ticks(13, 14) };
}

/** One sync of `records` generator users into `db` (any --db form); its time, the sync's summary and its CPU. */
export async function generatorSync(db, { records, pageSize, schema }) {
  const { openConnector, openStore, runSync } = await import("../dist/engine/index.js");
  const store = await openStore(db, { schema });
  const driver = await openConnector({ name: "generator", command: { shell: generatorCommand }, protocol: "sluice" });
  const before = cpuSeconds();
  const started = performance.now();
  let run;
  try {
    const summary = await runSync({
      connector: "generator",
      driver,
      store,
      options: JSON.stringify({ count: records, page_size: pageSize }),
    });
    const seconds = (performance.now() - started) / 1000;
    run = { seconds, recordsPerSecond: summary.records / seconds, summary };
  } finally {
    await driver.close();
    await store.close();
  }
  const after = cpuSeconds();
  return { ...run, cpu: { host: after.host - before.host, connector: after.children - before.children } };
}

/**
 * What the machine's cores allow: the sync's CPU work (host, with an in-process store's threads, and the
 * connector) spread perfectly over every core gives its fastest possible time, hence the best ratio to
 * the raw limit that any rearrangement of the same work (threads, pipelining) could reach here. Only
 * where the store runs inside the host (SQLite, DuckDB): a server's CPU is not counted.
 */
export function cpuFigures(sync, raw) {
  const { host, connector } = sync.cpu;
  const cores = availableParallelism();
  const fastestSeconds = (host + connector) / cores;
  return {
    cpuSeconds: { host: +host.toFixed(2), connector: +connector.toFixed(2), cores },
    cpuCeilingRatioToRaw: +Math.min(1, sync.summary.records / fastestSeconds / raw.recordsPerSecond).toFixed(3),
  };
}

/**
 * A source's own rate: `driver` reads `options` (the streams in `only`, or every stream it discovers, from
 * no state) through the same driver code a sync uses (process, gRPC or lines, decoding), and each page is dropped. The rate a
 * sync could reach with a free store; a sync's rate over the slower of this and the store's raw limit is
 * the honest efficiency figure.
 */
export async function sourceRate(driver, options, only) {
  const streams = (await driver.discover(options)).filter((s) => !only || only.includes(s.name));
  let records = 0;
  const started = performance.now();
  await driver.read(
    { options, state: "", streams: streams.map((s) => ({ name: s.name, syncMode: "full_refresh" })) },
    { page: async (page) => void (records += page.rows.length), checkpoint: async () => {} },
  );
  const seconds = (performance.now() - started) / 1000;
  return { records, seconds: +seconds.toFixed(2), recordsPerSecond: Math.round(records / seconds) };
}

/** The Go example connector's own rate for `records` records in pages of `pageSize`. */
export async function generatorSourceRate({ records, pageSize }) {
  const { openConnector } = await import("../dist/engine/index.js");
  const driver = await openConnector({ name: "generator", command: { shell: generatorCommand }, protocol: "sluice" });
  try {
    return await sourceRate(driver, JSON.stringify({ count: records, page_size: pageSize }));
  } finally {
    await driver.close();
  }
}

/**
 * A sync's rate over the slower of its source's own rate and the store's raw limit. When the raw limit
 * is the slower, the ratio to it measured in pairs (see `alternate`) stands for it.
 */
export const efficiency = (sync, source, raw, ratioToRaw) =>
  ratioToRaw !== undefined && raw.recordsPerSecond <= source.recordsPerSecond
    ? ratioToRaw
    : +(sync.recordsPerSecond / Math.min(source.recordsPerSecond, raw.recordsPerSecond)).toFixed(3);

/** The faster of two runs. */
export const best = (a, b) => (a.recordsPerSecond >= b.recordsPerSecond ? a : b);

/**
 * Runs a sync and its raw limit in turns, BENCH_PAIRS times (default 3): sync, raw, sync, raw… This
 * machine's speed drifts by up to 1.4× within minutes, and two runs side by side meet the same drift,
 * where two syncs followed by two raw runs may not. Each pair gives a ratio and their median is the
 * figure; each side's best run gives its records/s. `sync(i)` and `raw(i)` resolve to
 * `{ seconds, recordsPerSecond }` (a sync's also with `cpu` and `summary`).
 */
export async function alternate(sync, raw) {
  const pairs = Math.max(1, Number(process.env.BENCH_PAIRS ?? 3));
  const syncs = [];
  const raws = [];
  for (let i = 0; i < pairs; i++) {
    syncs.push(await sync(i));
    raws.push(await raw(i));
  }
  const ratios = syncs.map((s, i) => s.recordsPerSecond / raws[i].recordsPerSecond);
  const sorted = [...ratios].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return {
    sync: syncs.reduce(best),
    raw: raws.reduce(best),
    ratioToRaw: +median.toFixed(3),
    pairedRatios: ratios.map((r) => +r.toFixed(3)),
  };
}

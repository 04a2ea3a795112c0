// Host memory over a long sync: BENCH_RSS_RECORDS (default 10M) records from
// the Go example connector into each store (SQLite, PostgreSQL, DuckDB), each
// in a process of its own so its peak RSS is its own; the host must stay
// under 200 MB whatever the count. Prints one JSON line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..");
const records = Number(process.env.BENCH_RSS_RECORDS ?? 10_000_000);
const pageSize = Number(process.env.BENCH_PAGE_SIZE ?? 5000);
const stores = (process.env.BENCH_STORES ?? "sqlite,postgres,duckdb").split(",");

/** In the child: one sync, then its own peak RSS. */
async function child(db) {
  const { openConnector, openStore, runSync } = await import("../dist/engine/index.js");
  const store = await openStore(db);
  const driver = await openConnector({
    name: "generator",
    command: { shell: join(root, "examples/go/generator/bin/generator") },
    protocol: "sluice",
  });
  const started = performance.now();
  const summary = await runSync({
    connector: "generator",
    driver,
    store,
    options: JSON.stringify({ count: records, page_size: pageSize }),
  });
  const seconds = (performance.now() - started) / 1000;
  await driver.close();
  await store.close();
  console.log(
    JSON.stringify({
      records: summary.records,
      seconds: +seconds.toFixed(1),
      recordsPerSecond: Math.round(summary.records / seconds),
      hostPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

async function pgDatabase() {
  const port = execFileSync("bash", [join(root, "scripts/setup-postgres.sh")], { encoding: "utf8" })
    .trim()
    .split("\n")
    .pop();
  process.env.PGPASSWORD ??= "sluice_test";
  const admin = { host: "127.0.0.1", port: Number(port), user: "sluice_test", database: "postgres" };
  const name = `sluice_bench_rss_${process.pid}`;
  const run = async (sql) => {
    const client = new pg.Client(admin);
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await run(`CREATE DATABASE ${name}`);
  return {
    url: `postgres://sluice_test@127.0.0.1:${port}/${name}`,
    drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "sluice-bench-rss-"));
  const database = stores.includes("postgres") ? await pgDatabase() : undefined;
  const results = {};
  try {
    const locations = {
      sqlite: join(work, "rss.db"),
      postgres: database?.url,
      duckdb: `duckdb:${join(work, "rss.duckdb")}`,
    };
    for (const store of stores) {
      console.error(`  ${records} records into ${store}`);
      const output = execFileSync(process.execPath, [join(here, "stores-rss.mjs"), "--child", locations[store]], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, BENCH_RSS_RECORDS: String(records) },
      });
      results[store] = JSON.parse(output.trim().split("\n").pop());
    }
  } finally {
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  }
  const peak = Math.max(...Object.values(results).map((r) => r.hostPeakRssMb));
  console.log(
    JSON.stringify({
      bench: "stores-rss",
      records,
      pageSize,
      ...results,
      underLimit: peak < 200,
      loadAverage1m: +loadavg()[0].toFixed(2),
    }),
  );
}

if (process.argv[2] === "--child") await child(process.argv[3]);
else await main();

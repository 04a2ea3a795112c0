// Host memory over a long sync: BENCH_RSS_RECORDS (default 10M) records from
// the Go example connector into each store (SQLite, PostgreSQL, DuckDB), each
// in a process of its own so its peak RSS is its own; the host must stay
// under 200 MB whatever the count. Prints one JSON line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchDatabase, generatorSync } from "./common.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const records = Number(process.env.BENCH_RSS_RECORDS ?? 10_000_000);
const pageSize = Number(process.env.BENCH_PAGE_SIZE ?? 5000);
const stores = (process.env.BENCH_STORES ?? "sqlite,postgres,duckdb").split(",");

/** In the child: one sync, then its own peak RSS. */
async function child(db) {
  const { seconds, summary } = await generatorSync(db, { records, pageSize });
  console.log(
    JSON.stringify({
      records: summary.records,
      seconds: +seconds.toFixed(1),
      recordsPerSecond: Math.round(summary.records / seconds),
      hostPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "sluice-bench-rss-"));
  const database = stores.includes("postgres") ? await benchDatabase("rss") : undefined;
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

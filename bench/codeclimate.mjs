// Code Climate benchmark: N PullRequest records from a connector package in
// its own process (validated there against the record schemas, paged over
// fd 3) into SQLite, next to two limits measured in the same run: validation
// alone (in-process, the same records) and raw better-sqlite3 upserts of the
// same rows into the same table shape. Prints one JSON object.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CodeClimateDriver, locateConnector, runSync, SqliteStore } from "../dist/engine/index.js";
import { RecordValidator } from "../dist/sdk/codeclimate/index.js";
import { efficiency, sourceRate } from "./common.mjs";

const records = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const connector = locateConnector(fileURLToPath(new URL("./fixtures/codeclimate-connector-bench", import.meta.url)));
const work = mkdtempSync(join(tmpdir(), "sluice-bench-cc-"));

function validationOnly() {
  const validator = new RecordValidator();
  const started = performance.now();
  for (let i = 0; i < records; i++) {
    const problems = validator.problems({
      _type: "PullRequest",
      id: `pr${i}`,
      self: `https://git.test/bench/pulls/${i}`,
      repository: "https://git.test/bench",
      author: `https://git.test/users/u${i % 97}`,
      state: "open",
      headRef: `feature-${i}`,
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      statistics: { additionsCount: i % 500, deletionsCount: i % 70 },
    });
    if (problems.length) throw new Error(problems.join(", "));
  }
  return records / ((performance.now() - started) / 1000);
}

async function sluiceSync(dbFile) {
  const store = SqliteStore.open(dbFile);
  const driver = new CodeClimateDriver(connector, { verb: "sync" });
  const started = performance.now();
  try {
    const summary = await runSync({ connector: "bench", driver, store, options: JSON.stringify({ count: records }) });
    const seconds = (performance.now() - started) / 1000;
    return {
      seconds,
      recordsPerSecond: summary.records / seconds,
      connectorPeakRssMiB: Math.round(driver.peakRssBytes / 2 ** 20),
    };
  } finally {
    await driver.close();
    await store.close();
  }
}

/** The connector's own rate: its pages read through the same driver, and dropped. */
async function connectorRate() {
  const driver = new CodeClimateDriver(connector, { verb: "sync" });
  try {
    return await sourceRate(driver, JSON.stringify({ count: records }));
  } finally {
    await driver.close();
  }
}

function rawUpsert(sourceDb, targetDb) {
  const source = new Database(sourceDb, { readonly: true });
  const columns = source
    .prepare("SELECT name FROM pragma_table_info('bench_pull_request')")
    .all()
    .map((c) => c.name);
  const rows = source
    .prepare(`SELECT ${columns.map((c) => `"${c}"`).join(", ")} FROM bench_pull_request`)
    .raw()
    .all();
  source.close();
  const target = new Database(targetDb);
  target.pragma("journal_mode = WAL");
  target.pragma("synchronous = NORMAL");
  target.exec(`CREATE TABLE t (${columns.map((c) => `"${c}"${c === "id" ? " PRIMARY KEY" : ""}`).join(", ")})`);
  const upsert = target.prepare(
    `INSERT INTO t VALUES (${columns.map(() => "?").join(", ")}) ON CONFLICT(id) DO UPDATE SET ${columns
      .filter((c) => c !== "id")
      .map((c) => `"${c}" = excluded."${c}"`)
      .join(", ")}`,
  );
  const page = target.transaction((slice) => {
    for (const row of slice) upsert.run(row);
  });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += 1000) page(rows.slice(i, i + 1000));
  const seconds = (performance.now() - started) / 1000;
  target.close();
  return { seconds, recordsPerSecond: rows.length / seconds };
}

try {
  const validation = Math.max(validationOnly(), validationOnly());
  const runs = [await sluiceSync(join(work, "a.db")), await sluiceSync(join(work, "b.db"))];
  const sluice = runs.sort((a, b) => b.recordsPerSecond - a.recordsPerSecond)[0];
  const raw = [
    rawUpsert(join(work, "a.db"), join(work, "r1.db")),
    rawUpsert(join(work, "a.db"), join(work, "r2.db")),
  ].sort((a, b) => b.recordsPerSecond - a.recordsPerSecond)[0];
  const source = [await connectorRate(), await connectorRate()].sort(
    (a, b) => b.recordsPerSecond - a.recordsPerSecond,
  )[0];
  console.log(
    JSON.stringify({
      bench: "codeclimate",
      records,
      validationRecordsPerSecond: Math.round(validation),
      sluiceRecordsPerSecond: Math.round(sluice.recordsPerSecond),
      sluiceSeconds: +sluice.seconds.toFixed(2),
      rawUpsertRecordsPerSecond: Math.round(raw.recordsPerSecond),
      ratioToRawUpsert: +(sluice.recordsPerSecond / raw.recordsPerSecond).toFixed(2),
      source,
      efficiency: efficiency(sluice, source, raw),
      connectorPeakRssMiB: sluice.connectorPeakRssMiB,
      loadAverage: loadavg().map((l) => +l.toFixed(2)),
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

// Foundation benchmark: N records from the Go example connector (native
// protocol, go-plugin) into SQLite through Sluice, next to the limit measured
// in the same run: raw better-sqlite3 upserts of the very same rows into the
// same table shape, in transactions of the same page size. Also spawn +
// handshake time and the host's peak RSS. The sync and the raw upsert run in
// turns (bench/common.mjs `alternate`): the ratio is the median of the pairs',
// each side's records/s its best run (the load average is printed with the
// figures). Prints one JSON object.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openConnector } from "../dist/engine/index.js";
import {
  alternate,
  best,
  cpuFigures,
  efficiency,
  generatorCommand,
  generatorSourceRate,
  generatorSync,
} from "./common.mjs";

const records = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const pageSize = 1000;
const work = mkdtempSync(join(tmpdir(), "sluice-bench-"));

async function spawnAndHandshake(times) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const driver = await openConnector({ name: "generator", command: { shell: generatorCommand }, protocol: "sluice" });
    samples.push(performance.now() - started);
    await driver.close();
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

async function sluiceSync(dbFile) {
  return generatorSync(dbFile, { records, pageSize });
}

/** The limit: the same rows, the same table, plain prepared upserts, nothing else. */
function rawUpsert(sourceDb, targetDb) {
  const source = new Database(sourceDb, { readonly: true });
  const columns = source
    .prepare("PRAGMA table_info(generator_users)")
    .all()
    .map((c) => c.name)
    .filter((c) => !c.startsWith("_sluice"));
  const createSql = source.prepare("SELECT sql FROM sqlite_master WHERE name = 'generator_users'").get().sql;
  const rows = source
    .prepare(`SELECT ${columns.map((c) => `"${c}"`).join(", ")} FROM generator_users ORDER BY id`)
    .raw(true)
    .all();
  source.close();
  const target = new Database(targetDb);
  target.pragma("journal_mode = WAL");
  target.pragma("synchronous = NORMAL");
  target.exec(createSql);
  const others = columns.filter((c) => c !== "id");
  const upsert = target.prepare(
    `INSERT INTO generator_users (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) ` +
      `ON CONFLICT (id) DO UPDATE SET ${others.map((c) => `"${c}" = excluded."${c}"`).join(", ")}`,
  );
  const page = target.transaction((batch) => {
    for (const row of batch) upsert.run(row);
  });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += pageSize) page(rows.slice(i, i + pageSize));
  const seconds = (performance.now() - started) / 1000;
  target.close();
  return { seconds, recordsPerSecond: rows.length / seconds };
}

try {
  const handshakeMs = await spawnAndHandshake(10);
  let hostPeakRssMb;
  const paired = await alternate(
    async (i) => {
      const run = await sluiceSync(join(work, `sluice${i}.db`));
      // Read before the first raw run, which holds every row in memory at once.
      hostPeakRssMb ??= process.resourceUsage().maxRSS / 1024;
      return run;
    },
    async (i) => rawUpsert(join(work, "sluice0.db"), join(work, `raw${i}.db`)),
  );
  const { sync: sluice, raw, ratioToRaw, pairedRatios } = paired;
  const source = best(
    await generatorSourceRate({ records, pageSize }),
    await generatorSourceRate({ records, pageSize }),
  );
  console.log(
    JSON.stringify({
      bench: "foundation",
      records,
      sluice: { seconds: +sluice.seconds.toFixed(2), recordsPerSecond: Math.round(sluice.recordsPerSecond) },
      rawUpsert: { seconds: +raw.seconds.toFixed(2), recordsPerSecond: Math.round(raw.recordsPerSecond) },
      ratioToRaw,
      pairedRatios,
      source,
      efficiency: efficiency(sluice, source, raw, ratioToRaw),
      ...cpuFigures(sluice, raw),
      hostPeakRssMb: Math.round(hostPeakRssMb),
      spawnHandshakeMs: +handshakeMs.toFixed(1),
      loadAverage1m: +loadavg()[0].toFixed(2),
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

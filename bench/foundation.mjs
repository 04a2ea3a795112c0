// Foundation benchmark: N records from the Go example connector (native
// protocol, go-plugin) into SQLite through Sluice, next to the limit measured
// in the same run: raw better-sqlite3 upserts of the very same rows into the
// same table shape, in transactions of the same page size. Also spawn +
// handshake time and the host's peak RSS. Each side runs twice and the better
// run counts, which damps noise from other work on the machine (the load
// average is printed with the figures). Prints one JSON object.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openConnector } from "../dist/engine/index.js";
import { cpuFigures, efficiency, generatorCommand, generatorSourceRate, generatorSync } from "./common.mjs";

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

const best = (a, b) => (a.recordsPerSecond >= b.recordsPerSecond ? a : b);

try {
  const handshakeMs = await spawnAndHandshake(10);
  const sluice = best(await sluiceSync(join(work, "sluice.db")), await sluiceSync(join(work, "sluice2.db")));
  const hostPeakRssMb = process.resourceUsage().maxRSS / 1024;
  const source = best(
    await generatorSourceRate({ records, pageSize }),
    await generatorSourceRate({ records, pageSize }),
  );
  const raw = best(
    rawUpsert(join(work, "sluice.db"), join(work, "raw.db")),
    rawUpsert(join(work, "sluice.db"), join(work, "raw2.db")),
  );
  console.log(
    JSON.stringify({
      bench: "foundation",
      records,
      sluice: { seconds: +sluice.seconds.toFixed(2), recordsPerSecond: Math.round(sluice.recordsPerSecond) },
      rawUpsert: { seconds: +raw.seconds.toFixed(2), recordsPerSecond: Math.round(raw.recordsPerSecond) },
      ratioToRaw: +(sluice.recordsPerSecond / raw.recordsPerSecond).toFixed(3),
      source,
      efficiency: efficiency(sluice, source, raw),
      ...cpuFigures(sluice, raw),
      hostPeakRssMb: Math.round(hostPeakRssMb),
      spawnHandshakeMs: +handshakeMs.toFixed(1),
      loadAverage1m: +loadavg()[0].toFixed(2),
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

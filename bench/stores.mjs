// Store benchmark: N records from the Go example connector into PostgreSQL and
// into DuckDB through Sluice, next to each database's raw limit measured in
// the same run on the very same rows, in transactions of the same page size:
//   PostgreSQL: `pg` alone, COPY into a temporary table + INSERT … ON CONFLICT DO UPDATE
//   DuckDB:     @duckdb/node-api alone, the appender into a temporary table + INSERT … ON CONFLICT DO UPDATE
// The sync and the raw loop run in turns, each into a fresh table (bench/common.mjs
// `alternate`): the ratio is the median of the pairs', each side's records/s its
// best run; the store layer runs twice (the load average is printed with the
// figures). Prints one JSON line per store.
// PostgreSQL: BENCH_PG_URL, or the local test server (scripts/setup-postgres.sh)
// with a database of its own, dropped at the end.
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { openStore } from "../dist/engine/index.js";
import {
  alternate,
  benchDatabase,
  best,
  cpuFigures,
  efficiency,
  generatorSourceRate,
  generatorSync,
} from "./common.mjs";

const records = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const pageSize = Number(process.env.BENCH_PAGE_SIZE ?? 5000);
const only = (process.env.BENCH_STORES ?? "postgres,duckdb").split(",");
const work = mkdtempSync(join(tmpdir(), "sluice-bench-stores-"));
const COLUMNS = ["active", "age", "created_at", "email", "id", "name", "score", "tags"];

async function sluiceSync(db, schema) {
  return generatorSync(db, { records, pageSize, schema });
}

/**
 * The store layer alone: the same rows (as the connector sends them) written
 * through Store.openTable/write, pages of the same size, each with a
 * checkpoint, each announced while the one before is written (as the engine
 * does) — no connector competing for the two cores.
 */
async function storeWrites(db, schema, rows) {
  const store = await openStore(db, { schema });
  const types = {
    active: "boolean",
    age: "integer",
    created_at: "timestamp",
    email: "text",
    id: "integer",
    name: "text",
    score: "real",
    tags: "json",
  };
  const table = await store.openTable({
    connector: "raw",
    stream: "users",
    table: "store_users",
    columns: COLUMNS.map((name) => ({ name, type: types[name] })),
    primaryKey: ["id"],
  });
  // As the connector's JSON pages decode: numbers, strings, booleans, arrays.
  const value = (column, v) =>
    column === "tags" ? JSON.parse(v) : column === "id" || column === "age" ? Number(v) : v;
  const objects = rows.map((row) => Object.fromEntries(COLUMNS.map((c, i) => [c, value(c, row[i])])));
  const pages = [];
  for (let i = 0; i < objects.length; i += pageSize) pages.push(objects.slice(i, i + pageSize));
  const started = performance.now();
  for (let i = 0; i < pages.length; i++) {
    // As the engine does: the next page is announced while this one is written.
    const writing = table.write(pages[i], 1, { connector: "raw", state: String(i) });
    if (pages[i + 1]) table.upcoming?.(pages[i + 1]);
    await writing;
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return { seconds, recordsPerSecond: rows.length / seconds };
}

/** The connector's own rate in the same run (best of two), and the sync over the slower of it and the raw limit. */
async function sourceFigures(sluice, raw, ratioToRaw) {
  const source = best(
    await generatorSourceRate({ records, pageSize }),
    await generatorSourceRate({ records, pageSize }),
  );
  return { source, efficiency: efficiency(sluice, source, raw, ratioToRaw) };
}
const figures = (run) => ({ seconds: +run.seconds.toFixed(2), recordsPerSecond: Math.round(run.recordsPerSecond) });

// ---- PostgreSQL ----

/** The rows Sluice wrote, as JavaScript values (the raw side's input). */
async function pgRows(client, schema) {
  const result = await client.query({
    text: `SELECT active, age, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), email, id, name, score, tags::text FROM "${schema}".generator_users ORDER BY id`,
    rowMode: "array",
  });
  return result.rows;
}

const copyField = (v) =>
  v === null
    ? "\\N"
    : typeof v === "string"
      ? v.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c])
      : v instanceof Date
        ? v.toISOString()
        : typeof v === "object"
          ? JSON.stringify(v)
          : String(v);

async function rawPostgres(url, schema, rows) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const table = `"${schema}".raw_users`;
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await client.query(
    `CREATE TABLE ${table} (active boolean, age bigint, created_at timestamptz, email text, id bigint PRIMARY KEY, name text, score double precision, tags jsonb)`,
  );
  await client.query(`CREATE TEMP TABLE page (LIKE ${table}) ON COMMIT DELETE ROWS`);
  const others = COLUMNS.filter((c) => c !== "id");
  const upsert = `INSERT INTO ${table} SELECT * FROM page ON CONFLICT (id) DO UPDATE SET ${others.map((c) => `${c} = excluded.${c}`).join(", ")}`;
  const started = performance.now();
  for (let i = 0; i < rows.length; i += pageSize) {
    const text = rows
      .slice(i, i + pageSize)
      .map((row) => row.map(copyField).join("\t"))
      .join("\n");
    await client.query("BEGIN");
    await new Promise((resolve, reject) => {
      const stream = client.query(copyFrom(`COPY page (${COLUMNS.join(", ")}) FROM STDIN`));
      stream.on("error", reject).on("finish", resolve);
      stream.end(`${text}\n`);
    });
    await client.query(upsert);
    await client.query("COMMIT");
  }
  const seconds = (performance.now() - started) / 1000;
  await client.end();
  return { seconds, recordsPerSecond: rows.length / seconds };
}

async function benchPostgres() {
  const database = await benchDatabase("stores");
  try {
    let rows;
    const paired = await alternate(
      (i) => sluiceSync(database.url, `bench_${i}`),
      async (i) => {
        if (!rows) {
          const client = new pg.Client({ connectionString: database.url });
          await client.connect();
          rows = await pgRows(client, "bench_0");
          await client.end();
        }
        return rawPostgres(database.url, `raw_${i}`, rows);
      },
    );
    const { sync: sluice, raw } = paired;
    const layer = best(
      await storeWrites(database.url, "store_a", rows),
      await storeWrites(database.url, "store_b", rows),
    );
    return {
      bench: "stores-postgres",
      records,
      pageSize,
      sluice: figures(sluice),
      rawPg: figures(raw),
      ratioToRaw: paired.ratioToRaw,
      pairedRatios: paired.pairedRatios,
      storeLayer: figures(layer),
      storeLayerRatioToRaw: +(layer.recordsPerSecond / raw.recordsPerSecond).toFixed(3),
      ...(await sourceFigures(sluice, raw, paired.ratioToRaw)),
      loadAverage1m: +loadavg()[0].toFixed(2),
    };
  } finally {
    await database.drop();
  }
}

// ---- DuckDB ----

async function duckRows(file) {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  const result = await connection.run(
    `SELECT active, age, strftime(created_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'), email, id, name, score, tags::VARCHAR FROM generator_users ORDER BY id`,
  );
  const rows = await result.getRows();
  connection.closeSync();
  instance.closeSync();
  return rows;
}

async function rawDuckDb(file, rows) {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  await connection.run(
    "CREATE TABLE raw_users (active BOOLEAN, age BIGINT, created_at TIMESTAMPTZ, email VARCHAR, id BIGINT PRIMARY KEY, name VARCHAR, score DOUBLE, tags JSON)",
  );
  await connection.run(
    "CREATE TEMP TABLE page (active BOOLEAN, age BIGINT, created_at VARCHAR, email VARCHAR, id BIGINT, name VARCHAR, score DOUBLE, tags VARCHAR)",
  );
  const others = COLUMNS.filter((c) => c !== "id");
  const upsert = `INSERT INTO raw_users SELECT active, age, created_at::TIMESTAMPTZ, email, id, name, score, tags FROM page ON CONFLICT (id) DO UPDATE SET ${others.map((c) => `${c} = excluded.${c}`).join(", ")}`;
  const started = performance.now();
  for (let i = 0; i < rows.length; i += pageSize) {
    await connection.run("BEGIN TRANSACTION");
    const appender = await connection.createAppender("page", "main", "temp");
    for (const [active, age, createdAt, email, id, name, score, tags] of rows.slice(i, i + pageSize)) {
      appender.appendBoolean(active);
      appender.appendBigInt(age);
      appender.appendVarchar(createdAt);
      appender.appendVarchar(email);
      appender.appendBigInt(id);
      appender.appendVarchar(name);
      appender.appendDouble(score);
      appender.appendVarchar(tags);
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();
    await connection.run(upsert);
    await connection.run("DELETE FROM page");
    await connection.run("COMMIT");
  }
  const seconds = (performance.now() - started) / 1000;
  connection.closeSync();
  instance.closeSync();
  return { seconds, recordsPerSecond: rows.length / seconds };
}

async function benchDuckDb() {
  let rows;
  const paired = await alternate(
    (i) => sluiceSync(`duckdb:${join(work, `sync_${i}.duckdb`)}`),
    async (i) => {
      rows ??= await duckRows(join(work, "sync_0.duckdb"));
      return rawDuckDb(join(work, `raw_${i}.duckdb`), rows);
    },
  );
  const { sync: sluice, raw } = paired;
  const layer = best(
    await storeWrites(`duckdb:${join(work, "store_a.duckdb")}`, undefined, rows),
    await storeWrites(`duckdb:${join(work, "store_b.duckdb")}`, undefined, rows),
  );
  return {
    bench: "stores-duckdb",
    records,
    pageSize,
    sluice: figures(sluice),
    rawDuckDb: figures(raw),
    ratioToRaw: paired.ratioToRaw,
    pairedRatios: paired.pairedRatios,
    storeLayer: figures(layer),
    storeLayerRatioToRaw: +(layer.recordsPerSecond / raw.recordsPerSecond).toFixed(3),
    ...(await sourceFigures(sluice, raw, paired.ratioToRaw)),
    ...cpuFigures(sluice, raw),
    loadAverage1m: +loadavg()[0].toFixed(2),
  };
}

try {
  if (only.includes("postgres")) console.log(JSON.stringify(await benchPostgres()));
  if (only.includes("duckdb")) console.log(JSON.stringify(await benchDuckDb()));
} finally {
  rmSync(work, { recursive: true, force: true });
}

// `npm run bench`: runs each benchmark in its own process (so peak RSS is its
// own), prints the figures, and prepends them to bench/RESULTS.md with the
// machine and the date, keeping earlier results below for comparison.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

const benches = (process.env.BENCH_ONLY ?? "foundation,qlik,codeclimate,lines,stores,stores-rss,server,temporal").split(
  ",",
);
const here = fileURLToPath(new URL(".", import.meta.url));
const results = [];
for (const name of benches) {
  const file = `${here}${name}.mjs`;
  if (!existsSync(file)) {
    console.error(`skipping ${name}: ${file} not found`);
    continue;
  }
  console.error(`==> bench ${name}`);
  const output = execFileSync(process.execPath, ["--expose-gc", file], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  for (const line of output.trim().split("\n")) {
    const result = JSON.parse(line);
    results.push(result);
    console.log(JSON.stringify(result, null, 2));
  }
}

/** One table row per result: Sluice's rate, what it is compared with in the same run, and the ratio. */
/** Peers name the destination both sides wrote to. */
const storeNames = { sqlite: "SQLite", duckdb: "DuckDB", postgres: "PostgreSQL" };
const rows = {
  foundation: (r) => [
    "Go connector → SQLite",
    r.records,
    r.sluice.recordsPerSecond,
    "raw better-sqlite3 upsert",
    r.rawUpsert.recordsPerSecond,
    r.ratioToRaw,
  ],
  codeclimate: (r) => [
    "Code Climate connector → SQLite",
    r.records,
    r.sluiceRecordsPerSecond,
    "raw better-sqlite3 upsert",
    r.rawUpsertRecordsPerSecond,
    r.ratioToRawUpsert,
  ],
  "stores-postgres": (r) => [
    "Go connector → PostgreSQL",
    r.records,
    r.sluice.recordsPerSecond,
    "raw pg COPY + INSERT … ON CONFLICT",
    r.rawPg.recordsPerSecond,
    r.ratioToRaw,
  ],
  "stores-duckdb": (r) => [
    "Go connector → DuckDB",
    r.records,
    r.sluice.recordsPerSecond,
    "raw DuckDB appender + merge",
    r.rawDuckDb.recordsPerSecond,
    r.ratioToRaw,
  ],
  qlik: (r) => [
    "columnar pages over gRPC",
    r.rows,
    r.columnar.grpcRowsPerSecond,
    "JSON pages over gRPC",
    r.json.grpcRowsPerSecond,
    r.columnar.grpcRowsPerSecond / r.json.grpcRowsPerSecond,
  ],
  lines: (r) => [
    "line reader: 16 MiB of 100-byte lines, 64 KiB chunks",
    r.lines,
    r.sluiceLinesPerSecond,
    "split of the same bytes in one buffer",
    r.rawLinesPerSecond,
    r.ratioToRaw,
  ],
  "peers-airbyte-faker": (r) => [
    `airbyte-source-faker → ${storeNames[r.destination]}`,
    r.records,
    r.sluice.recordsPerSecond,
    `PyAirbyte read() → ${storeNames[r.destination]}`,
    r.pyairbyte.recordsPerSecond,
    r.sluiceOverPyAirbyte,
  ],
  "peers-python-generator-merge": (r) => [
    `Python generator → ${storeNames[r.destination]} merge`,
    r.records,
    r.sluice.recordsPerSecond,
    `dlt merge → ${storeNames[r.destination]}`,
    r.dlt.recordsPerSecond,
    r.sluiceOverDlt,
  ],
};
/**
 * The source's own rate in the same run, where the benchmark measured it, and the sync's rate over the
 * slower of it and the limit (over the source alone next to a peer, whose limit is not measured).
 */
const sourceColumns = (r, sluiceRate) =>
  r.source
    ? [r.source.recordsPerSecond, (r.efficiency ?? sluiceRate / r.source.recordsPerSecond).toFixed(2)]
    : ["", ""];
const table = results
  .filter((r) => rows[r.bench])
  .map((r) => {
    const row = rows[r.bench](r);
    return `| ${[...row, ...sourceColumns(r, row[2])]
      .map((v, i) => (i === 5 ? Number(v).toFixed(2) : typeof v === "number" ? Math.round(v).toLocaleString("en") : v))
      .join(" | ")} |`;
  });

const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const summary = table.length
  ? [
      "| work | records | Sluice records/s | compared with | their records/s | ratio | source's own records/s | Sluice over the slower of source and limit |",
      "|---|---:|---:|---|---:|---:|---:|---:|",
      ...table,
      "",
    ]
  : [];
const section = [
  `## ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC — ${machine}`,
  "",
  ...summary,
  "```json",
  ...results.map((r) => JSON.stringify(r)),
  "```",
  "",
].join("\n");
const resultsFile = `${here}RESULTS.md`;
const header = "# Benchmark results\n\nNewest first. Ratios compare figures measured in the same run.\n\n";
const previous = existsSync(resultsFile) ? readFileSync(resultsFile, "utf8").replace(header, "") : "";
writeFileSync(resultsFile, header + section + "\n" + previous);
// Laid out as the project's formatter wants it (its tables aligned): `npm run lint` checks the file.
execFileSync(
  fileURLToPath(new URL("../node_modules/.bin/biome", import.meta.url)),
  ["format", "--write", resultsFile],
  {
    stdio: "ignore",
  },
);
console.error(`results written to ${resultsFile}`);

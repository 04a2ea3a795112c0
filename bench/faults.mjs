// `npm run faults`: the kill -9 fault suite's full run (issue 14). Every kind
// of source into every store it can write to, the Sluice host and (apart) the
// connector killed at KILLS random moments each (default 100; a pipeline's
// destination connector too, apart from its source), plus SQLite's
// write lock held by another connection and a full disk; each re-run to
// completion and compared with an undisturbed run (test/fault-helpers.ts).
// Prepends a table and the JSON lines to bench/FAULTS.md, newest first, with
// the machine and its load. Runs under tsx (the cells are the tests' own).
//
//   KILLS=100 RECORDS=5000 npm run faults
//   KILLS=5 ONLY=go-native,airbyte STORES=sqlite SEED=7 npm run faults
//   KILLS=100 ONLY=conduit-to-file FAULTS=kill-destination npm run faults
//   kill -TERM <pid of node bench/faults.mjs>   # stop after the cell under way; the finished cells are written
//   FAULTS_FROM=a.log,b.log node --import tsx bench/faults.mjs   # one report from runs split over processes
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomSource } from "../fuzz/engine.mjs";
import { runCell, SOURCES } from "../test/fault-helpers.ts";

const kills = Number(process.env.KILLS ?? 100);
const records = Number(process.env.RECORDS ?? 5000);
const seed = Number(process.env.SEED ?? Date.now() % 100000);
const only = process.env.ONLY?.split(",");
const stores = process.env.STORES?.split(",");
const faults = process.env.FAULTS?.split(",");
const random = randomSource(seed).next;

const cleanups = [];
const collector = { after: (fn) => cleanups.push(fn) };
const work = mkdtempSync(join(tmpdir(), "sluice-faults-"));

/** Each cell: kill-host and kill-connector in every store; the lock and the full disk where they exist (SQLite). */
function* cells() {
  for (const source of SOURCES.filter((s) => !only || only.includes(s.name)))
    for (const store of source.stores.filter((s) => !stores || stores.includes(s))) {
      for (const fault of ["kill-host", "kill-connector", ...(source.destination ? ["kill-destination"] : [])])
        if (!faults || faults.includes(fault)) yield { source, store, fault, kills };
      if (store !== "sqlite") continue;
      if (!faults || faults.includes("locked"))
        yield { source, store, fault: "locked", kills: Math.max(1, Math.ceil(kills / 10)) };
      if (!faults || faults.includes("full-disk")) yield { source, store, fault: "full-disk", kills: 1 };
    }
}

// Ctrl-C or SIGTERM stops after the cell under way, and what was measured is still written:
// a full run takes hours, and a run cut short should not lose the cells it finished.
let stopRequested = false;
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    console.error(`${signal}: stopping after this cell (again to stop at once, writing nothing)`);
  });

/** The JSON lines of earlier runs (their logs), for one report over a run split across processes. */
function resultsOf(files) {
  return files.flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .filter((line) => line.startsWith('{"bench":"faults"'))
      .map((line) => JSON.parse(line)),
  );
}

const merged = process.env.FAULTS_FROM?.split(",");
const planned = merged ? 0 : [...cells()].length;
const results = merged ? resultsOf(merged) : [];
let n = 0;
try {
  for (const cell of merged ? [] : cells()) {
    if (stopRequested) break;
    const dir = join(work, `cell${n++}`);
    console.error(`==> ${cell.source.name} into ${cell.store}, ${cell.fault} ×${cell.kills}`);
    const started = Date.now();
    const figures = await runCell({ ...cell, records, dir, cleanups: collector, random });
    const result = { bench: "faults", seed, ...figures, seconds: Math.round((Date.now() - started) / 1000) };
    results.push(result);
    console.log(JSON.stringify(result));
  }
} finally {
  for (const fn of cleanups.reverse()) await fn();
  rmSync(work, { recursive: true, force: true });
}

const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(", ");
const table = [
  "| source | store | fault | kills survived | lost | duplicated | redelivered (unkeyed) | changed | ahead | leftover processes | disturbed runs ended |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
  ...results.map(
    (r) =>
      `| ${r.source} | ${r.store} | ${r.fault} | ${r.survived}/${r.kills} | ${r.lost} | ${r.duplicated} | ${r.redelivered} | ${r.changed} | ${r.ahead} | ${r.leftover} | ${(r.outcomes ?? []).join("; ").replaceAll("|", "/")} |`,
  ),
];
const section = [
  `## ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC — ${machine}, load ${load}`,
  "",
  merged
    ? `Merged from ${merged.length} runs' logs (FAULTS_FROM): ${[...new Set(results.map((r) => `${r.records} records per run, seed ${r.seed}`))].join("; ")}.`
    : `${records} records per run, seed ${seed} (SEED=${seed} replays the moments).` +
      (results.length < planned ? ` Stopped early: ${results.length} of ${planned} cells ran.` : ""),
  "",
  ...table,
  "",
  "```json",
  ...results.map((r) => JSON.stringify(r)),
  "```",
  "",
].join("\n");
const file = fileURLToPath(new URL("./FAULTS.md", import.meta.url));
const header =
  "# Fault suite results\n\nNewest first. `npm run faults` (bench/faults.mjs): kill -9 of the Sluice host or the connector at random moments, a held SQLite write lock, a full disk; each re-run to completion and compared with an undisturbed run. Target: every kill survived, 0 lost, 0 duplicated, 0 ahead, 0 left over.\n\n";
const previous = existsSync(file) ? readFileSync(file, "utf8").replace(header, "") : "";
writeFileSync(file, header + section + "\n" + previous);
// The repository's formatter owns Markdown too (npm run lint): the table is written in its layout.
execFileSync(
  process.execPath,
  [fileURLToPath(import.meta.resolve("@biomejs/biome/bin/biome")), "format", "--write", file],
  {
    stdio: "ignore",
  },
);
console.error(`results written to ${file}`);
const clean = results.every(
  (r) => r.survived === r.kills && !r.lost && !r.duplicated && !r.changed && !r.ahead && !r.leftover,
);
process.exit(clean ? 0 : 1);

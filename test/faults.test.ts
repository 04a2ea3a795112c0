/**
 * The fault suite's short run (issue 14; the full one is `npm run faults`):
 * every kind of source and every store at least once, the Sluice host or the
 * connector killed with kill -9 at random moments, SQLite's write lock held
 * by another connection, and a full disk; each re-run to completion must
 * leave exactly what an undisturbed run wrote: nothing lost, nothing
 * duplicated, no state ahead of its rows, no process left running. Beside it,
 * a smoke run of the parsers' fuzzer (fuzz/run.mjs).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { randomSource } from "../fuzz/engine.mjs";
import { type Fault, runCell, SOURCES, type StoreKind } from "./fault-helpers.js";
import { root, run, smallDisk, tempDir } from "./helpers.js";

const RECORDS = 2000;
const source = (name: string) => SOURCES.find((s) => s.name === name)!;

/** A subset that still covers each source kind, each store and each fault. */
const CELLS: { source: string; store: StoreKind | "file"; fault: Fault; kills: number }[] = [
  { source: "go-native", store: "sqlite", fault: "kill-host", kills: 2 },
  { source: "c1-core", store: "postgres", fault: "kill-connector", kills: 2 },
  { source: "go-native", store: "postgres", fault: "kill-host", kills: 2 },
  { source: "airbyte", store: "duckdb", fault: "kill-host", kills: 2 },
  { source: "conduit-to-store", store: "sqlite", fault: "kill-connector", kills: 2 },
  { source: "conduit-to-file", store: "file", fault: "kill-host", kills: 2 },
  { source: "conduit-to-file", store: "file", fault: "kill-destination", kills: 2 },
  { source: "go-native", store: "sqlite", fault: "locked", kills: 2 },
  { source: "go-native", store: "sqlite", fault: "full-disk", kills: 1 },
];

for (const cell of CELLS) {
  test(`${cell.source} into ${cell.store}, ${cell.fault} ×${cell.kills}: nothing lost, duplicated or ahead; no process left`, async (t) => {
    if (cell.fault === "full-disk" && process.env.CI !== "true") {
      const probe = smallDisk("64k");
      if (!probe) return t.skip("cannot mount a tmpfs here (not root)");
      probe.remove();
    }
    const random = randomSource(Number(process.env.SLUICE_FAULT_SEED ?? 14)).next;
    const figures = await runCell({
      ...cell,
      source: source(cell.source),
      records: RECORDS,
      dir: join(tempDir(t), "cell"),
      cleanups: t,
      random,
    });
    const { lost, duplicated, changed, ahead, leftover, survived, kills, failures, outcomes } = figures;
    // The full disk must really have stopped a run, with the message that says so.
    if (cell.fault === "full-disk") assert.match(String(outcomes), /exit 1: .*written before the failure are kept/);
    // A lock held past the busy timeout fails that run, saying so (the other one waited and succeeded).
    if (cell.fault === "locked") assert.match(String(outcomes), /exit 1: .*locked by another process/);
    assert.deepEqual(
      { survived, lost, duplicated, changed, ahead, leftover, failures },
      { survived: kills, lost: 0, duplicated: 0, changed: 0, ahead: 0, leftover: 0, failures: [] },
    );
  });
}

test("fuzz smoke run: every parser taking outside input, no crash but a SluiceError with its code", async () => {
  const result = await run(
    process.execPath,
    ["--import", "./fuzz/instrument.mjs", "fuzz/run.mjs", "--seconds", "1", "--json"],
    { cwd: root, timeoutMs: 120_000 },
  );
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  const figures = result.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { target: string; executions: number });
  assert.ok(figures.length >= 12, `every target ran: ${figures.map((f) => f.target).join(", ")}`);
  for (const f of figures) assert.ok(f.executions > 50, `${f.target} ran ${f.executions} inputs`);
});

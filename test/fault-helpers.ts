/**
 * The kill -9 fault suite's cells (issue 14): each kind of source into each
 * store, run, killed (the Sluice host, or the connector) at random moments,
 * re-run to completion, and compared with what an undisturbed run of the same
 * source wrote. Shared by test/faults.test.ts (a short run) and
 * bench/faults.mjs (`npm run faults`, the full run). Real connectors, real
 * stores; only processes started here (a run and what it started) are killed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openStore } from "../src/stores/open.js";
import { openStoreReader } from "../src/stores/reader.js";
import { examples, root, sluiceBin, smallDisk } from "./helpers.js";
import { createDatabase, pgUrl } from "./pg-helpers.js";
import { background, descendantsOf, isRunning, type Process, stillRunningAfter } from "./process-helpers.js";

export type StoreKind = "sqlite" | "postgres" | "duckdb";
export type Fault = "kill-host" | "kill-connector" | "kill-destination" | "locked" | "full-disk";

/** Registers clean-ups (a test's `t`, or the bench's own list). */
export interface Cleanups {
  after(fn: () => void | Promise<void>): void;
}

const conduitBin = join(root, "test/interop/conduit/bin");
const tsConduit = `node ${join(root, "examples/ts/dist/conduit/main.js")}`;
const scriptedAirbyte = join(root, "test/fixtures/airbyte/scripted-source.mjs");

/** Where one run of a cell writes: a store location (or a Conduit destination's file) and its state. */
export interface Target {
  store: string;
  /** The destination's file, when the destination is a Conduit connector. */
  file?: string;
}

/** A kind of source: how to run it into a target, how to find its connector, and what it wrote. */
export interface SourceKind {
  name: string;
  /** The store kinds it can write into ("file": a Conduit destination connector, positions in SQLite). */
  stores: (StoreKind | "file")[];
  /** Prepares the source's own data in `dir` (once per cell). */
  prepare?(dir: string, records: number): void;
  /** `sluice` arguments of a run into `target`. */
  args(dir: string, target: Target, records: number): string[];
  /** The connector's command line (not a shell around it); a pipeline's source. */
  connector: RegExp;
  /** A pipeline's destination connector's command line, when it writes into one (killed apart). */
  destination?: RegExp;
  table: string;
  key: string;
  /** A keyed stream: a record written twice is a duplicate (an unkeyed one is at-least-once by design). */
  keyed: boolean;
  /** The keys of the records the saved state says were delivered, when the state says so plainly. */
  claimedKeys?(state: string): string[];
}

export const SOURCES: SourceKind[] = [
  {
    name: "go-native",
    stores: ["sqlite", "postgres", "duckdb"],
    args: (_dir, target, records) => [
      ...["sync", "-c", examples.goGenerator, "--name", "gen", "--no-progress"],
      ...[
        "-o",
        JSON.stringify({ count: records, page_size: Math.max(1, Math.floor(records / 20)), sleep_ms_per_page: 20 }),
      ],
      ...["--db", target.store],
    ],
    connector: new RegExp(`^${examples.goGenerator}`),
    table: "gen_users",
    key: "id",
    keyed: true,
    claimedKeys: (state) => numbers(0, Number((JSON.parse(state) as { next_id?: number }).next_id ?? 0)).map(String),
  },
  {
    name: "c1-core",
    stores: ["sqlite", "postgres", "duckdb"],
    prepare(dir, records) {
      for (let i = 0; i < records; i++) {
        mkdirSync(join(dir, "files", `d${i % 10}`), { recursive: true });
        writeFileSync(join(dir, "files", `d${i % 10}`, `f${i}.txt`), `content ${i}\n`);
      }
    },
    args: (dir, target, records) => [
      ...["sync", "-c", examples.goFiles, "--name", "files", "--no-progress"],
      ...["-o", JSON.stringify({ root: join(dir, "files"), page_size: Math.max(1, Math.floor(records / 20)) })],
      ...["--db", target.store],
    ],
    connector: new RegExp(`^${examples.goFiles}`),
    table: "files_objects",
    key: "remote_id",
    keyed: true,
  },
  {
    name: "airbyte",
    stores: ["sqlite", "postgres", "duckdb"],
    prepare(dir, records) {
      writeFileSync(
        join(dir, "airbyte.json"),
        JSON.stringify({ records, stateEvery: Math.max(1, Math.floor(records / 20)) }),
      );
    },
    args: (dir, target) => [
      ...["airbyte", "sync", "-c", `node ${scriptedAirbyte}`, "--config", join(dir, "airbyte.json")],
      ...["--name", "ab", "--streams", "items", "--no-progress", "--db", target.store],
    ],
    connector: new RegExp(`^node ${scriptedAirbyte}`),
    table: "ab_items",
    key: "id",
    keyed: true,
    // Per-stream state: items' cursor is the id of the last record before it (ids from 1 on).
    claimedKeys(state) {
      const streams = JSON.parse(state) as {
        stream?: { stream_descriptor: { name: string }; stream_state: { cursor: number } };
      }[];
      const cursor =
        streams.find((s) => s.stream?.stream_descriptor.name === "items")?.stream?.stream_state.cursor ?? 0;
      return numbers(1, cursor + 1).map(String);
    },
  },
  {
    name: "conduit-to-store",
    stores: ["sqlite", "postgres", "duckdb"],
    args: (_dir, target, records) => [
      ...["pipeline", "run", "--from", tsConduit, "--from-config", `count=${records}`, "--from-config", "batch=20"],
      ...["--to", storeArgument(target.store), "--name", "cdc", "--idle-stop", "1"],
    ],
    connector: new RegExp(`^${tsConduit}`),
    table: "cdc_sequence",
    key: "_key",
    keyed: true,
    // Its records' keys are {"id": n}, n from 1 on.
    claimedKeys: (state) => numbers(1, conduitPosition(state) + 1).map((id) => JSON.stringify({ id })),
  },
  {
    name: "conduit-to-file",
    stores: ["file"],
    args: (_dir, target, records) => [
      ...["pipeline", "run", "--from", tsConduit, "--from-config", `count=${records}`, "--from-config", "batch=20"],
      ...["--to", join(conduitBin, "conduit-connector-file"), "--to-config", `path=${target.file}`],
      ...["--state-db", target.store, "--name", "cdcfile", "--idle-stop", "1"],
    ],
    connector: new RegExp(`^${tsConduit}`),
    destination: new RegExp(`^${join(conduitBin, "conduit-connector-file")}`),
    table: "",
    key: "id",
    keyed: false,
    claimedKeys: (state) => numbers(1, conduitPosition(state) + 1).map(String),
  },
];

/** from, from + 1, … to - 1. */
const numbers = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** The TS Conduit source's position: the number of the last record acked. */
function conduitPosition(state: string): number {
  const { position } = JSON.parse(state) as { position?: string };
  return position ? Number(Buffer.from(position, "base64").toString()) : 0;
}

/** `pipeline run --to` wants a SQLite file as sqlite:<file>; `sync --db` takes the path as is. */
const storeArgument = (store: string) => (/^(postgres(ql)?:|duckdb:|sqlite:)/.test(store) ? store : `sqlite:${store}`);

/** A fresh, empty target of `kind` under `dir`. */
async function freshTarget(kind: StoreKind | "file", dir: string, cleanups: Cleanups): Promise<Target> {
  mkdirSync(dir, { recursive: true });
  if (kind === "postgres")
    return { store: pgUrl(await createDatabase(cleanups as Parameters<typeof createDatabase>[0])) };
  if (kind === "duckdb") return { store: `duckdb:${join(dir, "s.duckdb")}` };
  if (kind === "file") return { store: join(dir, "state.db"), file: join(dir, "out.jsonl") };
  return { store: join(dir, "s.db") };
}

/** What a target holds: each key with how often it occurs and its row as JSON text. */
async function contents(source: SourceKind, target: Target): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const add = (key: string, row: string) => found.set(key, [...(found.get(key) ?? []), row]);
  if (target.file) {
    if (!existsSync(target.file)) return found;
    for (const line of readFileSync(target.file, "utf8").split("\n").filter(Boolean)) {
      const record = JSON.parse(line) as { payload?: { after?: Record<string, unknown> } };
      const after = record.payload?.after ?? {};
      add(String(after[source.key]), JSON.stringify(after));
    }
    return found;
  }
  let reader: Awaited<ReturnType<typeof openStoreReader>>;
  try {
    reader = await openStoreReader(target.store);
  } catch {
    return found; // not created yet
  }
  try {
    if (!(await reader.findTable(source.table))) return found;
    const result = await reader.select(source.table, "*", "");
    const names = result.columns.map((c) => c.name);
    const keyAt = names.indexOf(source.key);
    // Columns whose value differs run to run by design (when the row was read) are not compared.
    const compared = names.map((name, i) => [name, i] as const).filter(([name]) => !VOLATILE.has(name));
    for await (const batch of result.batches)
      for (const row of batch) add(String(row[keyAt]), JSON.stringify(compared.map(([, i]) => normalize(row[i]))));
  } finally {
    await reader.close();
  }
  return found;
}

const VOLATILE = new Set(["_position", "_metadata", "emitted_at", "_airbyte_emitted_at"]);
const normalize = (value: unknown) => (typeof value === "bigint" ? value.toString() : value);

/** Where the cells' runs keep their state: by --name for syncs, per pipeline side for pipelines. */
const STATE_KEYS = ["gen", "ab", "pipeline:cdc:source", "pipeline:cdcfile:source"];

/** The state a run saved (empty when none), read through the store as Sluice reads it. */
async function savedState(target: Target): Promise<string> {
  const store = await openStore(storeArgument(target.store).replace(/^sqlite:/, ""));
  try {
    if (!(await store.exists())) return "";
    for (const key of STATE_KEYS) {
      const state = await store.loadState(key);
      if (state) return state;
    }
    return "";
  } finally {
    await store.close();
  }
}

export interface CellFigures {
  source: string;
  store: string;
  fault: Fault;
  records: number;
  kills: number;
  /** Kills after which a rerun completed. */
  survived: number;
  /** Records of the undisturbed run missing after the reruns. */
  lost: number;
  /** Extra copies of records on a keyed stream (an unkeyed one counts `redelivered` instead). */
  duplicated: number;
  redelivered: number;
  /** Rows whose content differs from the undisturbed run's. */
  changed: number;
  /** Kills after which the saved state claimed more records than the store held. */
  ahead: number;
  /** Processes of a killed run still running after its rerun (then killed here). */
  leftover: number;
  /** A lock or a full disk: how the disturbed runs ended (their exit code and last line of stderr), each once. */
  outcomes?: string[];
  failures: string[];
}

/** A run's processes, seen every 200 ms while it runs: one that outlives the run is still known by pid and start. */
function watchDescendants(pid: number): { look(): void; stop(): Process[] } {
  const seen = new Map<string, Process>();
  const look = () => {
    for (const p of descendantsOf(pid, /./)) seen.set(`${p.pid}:${p.ticks}`, p);
  };
  const timer = setInterval(look, 200);
  look();
  return {
    look,
    stop() {
      clearInterval(timer);
      return [...seen.values()];
    },
  };
}

/** Runs `sluice` to completion (a bound against hangs); its exit code, stderr and every process it started. */
async function runToEnd(
  args: string[],
  boundMs = 120_000,
): Promise<{ code: number | null; stderr: string; processes: Process[] }> {
  const run = background(process.execPath, [sluiceBin, ...args]);
  const watch = watchDescendants(run.pid);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), boundMs);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stderr: run.stderr(), processes: watch.stop() };
}

/** What an undisturbed run of `source` writes (the comparison's reference), and how long it took. */
async function reference(
  source: SourceKind,
  kind: StoreKind | "file",
  dir: string,
  records: number,
  cleanups: Cleanups,
): Promise<{ rows: Map<string, string[]>; ms: number }> {
  const target = await freshTarget(kind, join(dir, "reference"), cleanups);
  const started = Date.now();
  const { code, stderr, processes } = await runToEnd(source.args(dir, target, records));
  if (killLeftovers(await stillRunningAfter(processes, 5_000)) > 0)
    throw new Error(`the undisturbed ${source.name} run into ${kind} left processes running`);
  if (code !== 0) throw new Error(`the undisturbed ${source.name} run into ${kind} failed (${code}):\n${stderr}`);
  const rows = await contents(source, target);
  // Every source here sends `records` records: fewer read back means the comparison would prove nothing.
  if (rows.size !== records)
    throw new Error(`the undisturbed ${source.name} run into ${kind} left ${rows.size} records, not ${records}`);
  return { rows, ms: Date.now() - started };
}

/** Kills every process in `processes` still running (they were started here); returns how many were. */
function killLeftovers(processes: Process[]): number {
  const running = processes.filter(isRunning);
  for (const p of running) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return running.length;
}

export interface CellOptions {
  source: SourceKind;
  store: StoreKind | "file";
  fault: Fault;
  kills: number;
  records: number;
  dir: string;
  cleanups: Cleanups;
  /** A seeded random source for the moments, so a run can be replayed. */
  random: () => number;
}

/**
 * One cell: `kills` times, a run into the same target is disturbed at a
 * random moment of an undisturbed run's duration, then the target is checked
 * (state not ahead of rows) and a rerun brings it to completion; at the end
 * the target must hold exactly what the undisturbed run wrote.
 */
export async function runCell(options: CellOptions): Promise<CellFigures> {
  const { source, store, fault, kills, records, dir, cleanups, random } = options;
  mkdirSync(dir, { recursive: true });
  source.prepare?.(dir, records);
  const expected = await reference(source, store, dir, records, cleanups);
  const disk = fault === "full-disk" ? smallDisk("256k") : undefined;
  if (fault === "full-disk" && !disk) throw new Error("cannot mount a tmpfs for the full disk (run as root)");
  if (disk) cleanups.after(() => disk.remove());
  const target = await freshTarget(store, disk?.dir ?? join(dir, "faulted"), cleanups);
  const figures: CellFigures = {
    ...{ source: source.name, store, fault, records, kills: 0, survived: 0 },
    ...{ lost: 0, duplicated: 0, redelivered: 0, changed: 0, ahead: 0, leftover: 0, failures: [] },
  };
  for (let i = 0; i < kills; i++) {
    figures.kills++;
    const disturbed = await disturb(options, target, moment(fault, i, expected.ms * random()));
    if (fault === "locked" || fault === "full-disk")
      figures.outcomes = [...new Set([...(figures.outcomes ?? []), disturbed.outcome])];
    if (await stateAhead(source, target)) figures.ahead++;
    disk?.grow("256m"); // space freed: the rerun must complete what the full disk stopped
    const rerun = await runToEnd(source.args(dir, target, records));
    // A killed run's connectors exit by themselves (Sluice's SDKs) or are reaped by the rerun's start;
    // the rerun's own end with it.
    const runs = [...disturbed.processes, ...rerun.processes];
    figures.leftover += killLeftovers(await stillRunningAfter(runs, 5_000));
    if (rerun.code === 0) figures.survived++;
    else
      figures.failures.push(
        `kill ${i + 1}: the rerun failed (${rerun.code}): ${rerun.stderr.trim().split("\n").slice(-3).join(" | ")}`,
      );
  }
  compare(expected.rows, await contents(source, target), source.keyed, figures);
  return figures;
}

/** Long enough for a run to end by itself (a bound, not a timing). */
const UNTIL_THE_RUN_ENDS_MS = 120_000;

/**
 * When the i-th disturbance ends: a full disk stops the run by itself (no
 * kill); every other lock is held until the run ends, past the store's busy
 * timeout, so it must fail clearly (the others are released at a random
 * moment, which the run waits out); kills come at a random moment of an
 * undisturbed run.
 */
function moment(fault: Fault, i: number, randomMs: number): number {
  if (fault === "full-disk" || (fault === "locked" && i % 2 === 1)) return UNTIL_THE_RUN_ENDS_MS;
  return randomMs;
}

/**
 * Starts a run and disturbs it after `delayMs` (kills the host or its
 * connector; or holds SQLite's write lock until then); returns the processes
 * the run had started by then.
 */
async function disturb(
  options: CellOptions,
  target: Target,
  delayMs: number,
): Promise<{ processes: Process[]; outcome: string }> {
  const { source, fault, dir, records } = options;
  const release = fault === "locked" ? lockSqlite(target.store) : undefined;
  const run = background(process.execPath, [sluiceBin, ...source.args(dir, target, records)]);
  const watch = watchDescendants(run.pid);
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    run.exited.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), delayMs))),
  ]);
  clearTimeout(timer);
  watch.look(); // the moment of the kill: what started since the last look
  if (!ended && (fault === "kill-connector" || fault === "kill-destination")) {
    const pattern = fault === "kill-destination" ? source.destination : source.connector;
    if (!pattern) throw new Error(`${source.name} has no destination connector to kill`);
    const connector = descendantsOf(run.pid, pattern)[0];
    (connector ? () => process.kill(connector.pid, "SIGKILL") : () => run.child.kill("SIGKILL"))();
  } else if (!ended && fault === "kill-host") run.child.kill("SIGKILL");
  release?.();
  const bound = setTimeout(() => run.child.kill("SIGKILL"), 120_000);
  const code = await run.exited;
  clearTimeout(bound);
  return { processes: watch.stop(), outcome: `exit ${code}: ${run.stderr().trim().split("\n").at(-1) ?? ""}` };
}

/** Another connection holds SQLite's write lock (BEGIN IMMEDIATE) until released. */
function lockSqlite(file: string): () => void {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec("BEGIN IMMEDIATE");
  return () => {
    db.exec("ROLLBACK");
    db.close();
  };
}

/** Whether the saved state claims records the target does not hold. */
async function stateAhead(source: SourceKind, target: Target): Promise<boolean> {
  const state = await savedState(target);
  if (!state || !source.claimedKeys) return false;
  const held = await contents(source, target);
  return source.claimedKeys(state).some((key) => !held.has(key));
}

function compare(expected: Map<string, string[]>, found: Map<string, string[]>, keyed: boolean, figures: CellFigures) {
  for (const [key, rows] of expected) {
    const got = found.get(key) ?? [];
    if (got.length === 0) figures.lost++;
    else if (!got.includes(rows[0])) figures.changed++;
    if (got.length > 1) keyed ? (figures.duplicated += got.length - 1) : (figures.redelivered += got.length - 1);
  }
}

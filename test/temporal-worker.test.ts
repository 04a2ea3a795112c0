/**
 * `sluice worker` on a real Temporal dev server and a real PostgreSQL: syncs
 * spread over two workers with every row once, a worker killed with -9
 * mid-sync (the sync completes on the other, exact rows, the sync log shows
 * the retry), Temporal down and back mid-sync, Temporal unreachable at start,
 * and distributed mode refusing SQLite and DuckDB destinations.
 */
import { CancelledFailure, Client, Connection, WorkflowFailedError } from "@temporalio/client";
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import {
  type SyncHandle,
  type SyncHeartbeat,
  type SyncInput,
  type SyncResult,
  startSync,
  syncProgress,
} from "../src/worker/index.js";
import { examples, processTree, sluice, tempDir, until } from "./helpers.js";
import { createDatabase, pgQuery, pgUrl } from "./pg-helpers.js";
import { waitFor } from "./server-helpers.js";
import { writeManifest } from "./registry-helpers.js";
import { TemporalDevServer, WorkerProcess } from "./temporal-helpers.js";

const TASK_QUEUE = "sluice-test";

function startWorkers(t: { after(fn: () => Promise<void>): void }, temporal: string, db: string, n: number) {
  const queue = ["--task-queue", TASK_QUEUE];
  const workers = Array.from({ length: n }, () => new WorkerProcess(temporal, db, join(tempDir(t), "home"), queue));
  t.after(() => Promise.all(workers.map((w) => w.stop())).then(() => {}));
  return workers;
}

/** The generator example as a manifest: each worker installs it on first use into its own home. */
function generatorManifest(t: { after(fn: () => void): void }): string {
  return writeManifest(tempDir(t), {
    name: "generator",
    description: "synthetic users",
    source: "Local",
    uri: join(examples.goGenerator, ".."),
    command: "./generator",
    protocol: "sluice",
  });
}

async function temporalClient(t: { after(fn: () => Promise<void>): void }, address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  t.after(() => connection.close());
  return new Client({ connection });
}

function syncInput(connection: string, manifest: string, options: object, extra: Partial<SyncInput> = {}): SyncInput {
  return {
    connection,
    connector: "generator",
    manifest,
    options: JSON.stringify(options),
    policy: { heartbeatTimeoutSeconds: 8, initialIntervalSeconds: 1 },
    ...extra,
  };
}

/** The sync's progress once its heartbeats say `pages` pages are in. */
function pagesIn(handle: SyncHandle, pages: number): Promise<SyncHeartbeat> {
  const enough = async () => {
    const progress = await syncProgress(handle);
    return progress && progress.pages >= pages ? progress : undefined;
  };
  return waitFor(enough, 60_000, `${pages} pages of the sync`);
}

/** Resolves once `table` holds at least `rows` rows. */
async function rowsIn(database: string, table: string, rows: number): Promise<void> {
  const enough = async () => {
    const found = await pgQuery<{ n: string }>(database, `SELECT count(*) AS n FROM sluice.${table}`).catch(() => []);
    return Number(found[0]?.n ?? 0) >= rows ? true : undefined;
  };
  await waitFor(enough, 60_000, `${rows} rows in ${table}`);
}

/** A Temporal dev server, a database, the generator's manifest and `n` ready workers, and a client. */
async function cluster(t: { after(fn: () => Promise<void>): void }, n: number) {
  const temporal = await TemporalDevServer.start(t);
  const database = await createDatabase(t);
  const manifest = generatorManifest(t as { after(fn: () => void): void });
  const workers = startWorkers(t, temporal.address, pgUrl(database), n);
  await Promise.all(workers.map((w) => w.ready()));
  return { temporal, database, manifest, workers, client: await temporalClient(t, temporal.address) };
}

/** The processes a worker started (its connectors), which outlive it as orphans if nothing ends them. */
function childrenOf(worker: WorkerProcess): { pid: number; commandLine: string }[] {
  return processTree(worker.pid).filter((p) => p.pid !== worker.pid);
}

/** Those of `processes` still running (the same process: its pid with the same command line). */
function stillRunning(processes: { pid: number; commandLine: string }[]): { pid: number; commandLine: string }[] {
  return processes.filter((p) => processTree(p.pid)[0]?.commandLine === p.commandLine);
}

async function distinctRows(database: string, table: string): Promise<{ rows: number; ids: number }> {
  const [row] = await pgQuery<{ rows: string; ids: string }>(
    database,
    `SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM sluice.${table}`,
  );
  return { rows: Number(row.rows), ids: Number(row.ids) };
}

test("20 connections over two workers: spread over both, every row once", async (t) => {
  const { database, manifest, workers, client } = await cluster(t, 2);

  const handles = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      startSync(client, TASK_QUEUE, syncInput(`c${i}`, manifest, { count: 400, page_size: 50, sleep_ms_per_page: 50 })),
    ),
  );
  const results: SyncResult[] = await Promise.all(handles.map((h) => h.result()));

  const byWorker = new Set(results.map((r) => r.worker));
  assert.deepEqual(
    [...byWorker].sort(),
    workers.map((w) => `${w.pid}@${results[0].worker.split("@")[1]}`).sort(),
    "both workers ran syncs",
  );
  for (let i = 0; i < 20; i++) {
    assert.equal(results[i].records, 400);
    assert.deepEqual(await distinctRows(database, `c${i}_users`), { rows: 400, ids: 400 }, `c${i}: every row once`);
  }

  // One sync per connection: a second start while one runs is refused by the workflow id policy.
  const long = await startSync(
    client,
    TASK_QUEUE,
    syncInput("c0", manifest, { count: 1000, page_size: 10, sleep_ms_per_page: 20 }),
  );
  await assert.rejects(
    startSync(client, TASK_QUEUE, syncInput("c0", manifest, { count: 10 })),
    (error: Error & { code?: string }) =>
      error.code === "SYNC_ALREADY_RUNNING" && /"c0" has a sync running already/.test(error.message),
  );
  await long.result();
});

test("kill -9 of the worker running a sync: it completes on the other, exact rows, the sync log shows the retry", async (t) => {
  const { database, manifest, workers, client } = await cluster(t, 2);

  const handle = await startSync(
    client,
    TASK_QUEUE,
    syncInput("long", manifest, { count: 3000, page_size: 50, sleep_ms_per_page: 100 }),
  );
  const progress = await pagesIn(handle, 5);
  const running = workers.find((w) => progress.worker.startsWith(`${w.pid}@`));
  assert.ok(running, `the sync runs on one of the workers (${progress.worker})`);
  const connectors = childrenOf(running);
  assert.ok(connectors.length > 0, "the killed worker's connector runs");
  running.child.kill("SIGKILL");
  // The connector notices its host is gone (its connection closed, its parent changed) and exits by itself.
  await until(() => stillRunning(connectors).length === 0, "the dead worker's connector to exit", 10_000);

  const result = await handle.result();
  const survivor = workers.find((w) => w !== running);
  assert.ok(survivor && result.worker.startsWith(`${survivor.pid}@`), "the other worker finished it");
  assert.equal(result.attempt, 2);
  assert.deepEqual(await distinctRows(database, "long_users"), { rows: 3000, ids: 3000 });
  const log = await pgQuery<{ status: string; error: string | null }>(
    database,
    "SELECT status, error FROM sluice._sluice_syncs WHERE connector = 'long' ORDER BY id",
  );
  assert.deepEqual(
    log.map((e) => e.status),
    ["failed", "succeeded"],
  );
  assert.match(
    log[0].error ?? "",
    new RegExp(`worker ${running.pid}@\\S+ stopped answering during attempt 1; retried as attempt 2`),
  );
});

test("cancelling the workflow stops the connector gracefully; committed pages stay", async (t) => {
  const {
    database,
    manifest,
    workers: [worker],
    client,
  } = await cluster(t, 1);
  const handle = await startSync(
    client,
    TASK_QUEUE,
    syncInput(
      "stopped",
      manifest,
      { count: 100_000, page_size: 50, sleep_ms_per_page: 100 },
      {
        policy: { heartbeatTimeoutSeconds: 10 },
      },
    ),
  );
  await rowsIn(database, "stopped_users", 100);
  await handle.cancel();
  await assert.rejects(handle.result(), (error: Error) => {
    assert.ok(error instanceof WorkflowFailedError);
    assert.ok(error.cause instanceof CancelledFailure, `cancelled, not ${error.cause?.constructor.name}`);
    return true;
  });
  // The workflow waited for the activity to end: by now the connector has stopped and the sync log says so.
  assert.deepEqual(childrenOf(worker), [], "no connector of the worker's is left running");
  const log = await pgQuery<{ status: string; inserted: string }>(
    database,
    "SELECT status, inserted FROM sluice._sluice_syncs WHERE connector = 'stopped' ORDER BY id",
  );
  // An attempt before the last one ended "failed" if a loaded machine missed its heartbeats (then retried).
  const last = log.at(-1);
  assert.equal(last?.status, "cancelled", JSON.stringify(log));
  assert.ok(
    log.slice(0, -1).every((entry) => entry.status === "failed"),
    JSON.stringify(log),
  );
  const { rows, ids } = await distinctRows(database, "stopped_users");
  assert.equal(rows, ids);
  assert.ok(rows >= 100 && rows < 100_000, `the pages committed before the cancel stay (${rows})`);
  assert.ok(rows >= Number(last?.inserted), "the log does not count more than stayed");
  assert.equal(rows % 50, 0, "whole pages only");
});

test("Temporal unreachable at start, then down and back mid-sync: the worker says so, retries, nothing lost or doubled", async (t) => {
  const temporal = await TemporalDevServer.create(t);
  const database = await createDatabase(t);
  const manifest = generatorManifest(t);
  const [worker] = startWorkers(t, temporal.address, pgUrl(database), 1);
  await until(() => worker.output.includes("cannot be reached"), "the worker to say Temporal is unreachable");
  assert.match(worker.output, new RegExp(`Temporal at ${temporal.address} cannot be reached: .*; retrying every 5 s`));
  await temporal.start();
  await worker.ready();
  const client = await temporalClient(t, temporal.address);

  const handle = await startSync(
    client,
    TASK_QUEUE,
    syncInput(
      "bumpy",
      manifest,
      { count: 2000, page_size: 50, sleep_ms_per_page: 100 },
      {
        policy: { heartbeatTimeoutSeconds: 30, initialIntervalSeconds: 1 },
      },
    ),
  );
  await rowsIn(database, "bumpy_users", 150);
  await temporal.stop();
  await rowsIn(database, "bumpy_users", 600); // the sync goes on writing while Temporal is away
  await temporal.start();

  const result = await handle.result();
  assert.equal(result.attempt, 1, "the attempt lived through Temporal's absence");
  assert.deepEqual(await distinctRows(database, "bumpy_users"), { rows: 2000, ids: 2000 });
});

test("distributed mode refuses SQLite and DuckDB destinations, on the worker and per sync", async (t) => {
  const dir = tempDir(t);
  for (const db of [join(dir, "data.db"), `duckdb:${join(dir, "data.duckdb")}`]) {
    const result = await sluice(["worker", "--temporal", "127.0.0.1:1", "--db", db]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /--db is a (SQLite|DuckDB) file \(.*\), which the workers on other machines cannot share: syncs through Temporal write to PostgreSQL; give a postgres:\/\/… URL/,
    );
  }

  const temporal = await TemporalDevServer.start(t);
  const database = await createDatabase(t);
  const [worker] = startWorkers(t, temporal.address, pgUrl(database), 1);
  await worker.ready();
  const client = await temporalClient(t, temporal.address);
  const handle = await startSync(
    client,
    TASK_QUEUE,
    syncInput("local", generatorManifest(t), { count: 10 }, { destination: join(dir, "x.db") }),
  );
  await assert.rejects(handle.result(), (error: Error) => {
    assert.ok(error instanceof WorkflowFailedError);
    const cause = error.cause?.cause as Error & { type?: string };
    assert.equal(cause.type, "DISTRIBUTED_STORE_REFUSED");
    assert.match(cause.message, /the destination is a SQLite file/);
    return true;
  });
});

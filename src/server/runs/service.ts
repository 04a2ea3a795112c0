/**
 * Runs: claiming (at most one queued or running run per connection, held by
 * a unique index so no two processes can both claim), a queue bounded by
 * --max-concurrent-syncs, live progress and logs for subscribers, cancelling,
 * history, and stopping cleanly. Syncs themselves run through a RunLauncher.
 */
import { hostname } from "node:os";
import { messageOf, SluiceError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { isAlive } from "../../registry/index.js";
import { optionsText } from "../connections/options.js";
import type { Connection, Connections } from "../connections/service.js";
import { type MetadataDb, now } from "../metadata/index.js";
import type { Selectable } from "kysely";
import type { RunTable } from "../metadata/schema.js";

type RunRow = Selectable<RunTable>;
import type { LogEntry, Run, RunLauncher, RunOutcome, RunProgress, RunStatus, Trigger } from "./types.js";
import { ServerError } from "../errors.js";

/** What a subscriber to a run hears. */
export type RunEvent =
  | { type: "status"; run: Run }
  | { type: "progress"; progress: RunProgress }
  | { type: "log"; entry: LogEntry };

export interface RunDetail extends Run {
  log: LogEntry[];
}

const LOG_ENTRIES_KEPT = 500;
const PROGRESS_WRITE_INTERVAL_MS = 1000;

interface Active {
  runId: number;
  connection: Connection;
  controller: AbortController;
  progress: RunProgress;
  log: LogEntry[];
  listeners: Set<(event: RunEvent) => void>;
  lastWrite: number;
  /** The last progress write failed: said once, until one succeeds. */
  progressUnsaved: boolean;
  done: Promise<void>;
  resolveDone: () => void;
  started: boolean;
}

export interface RunsOptions {
  db: MetadataDb;
  connections: Connections;
  launcher: RunLauncher;
  /** The server's own database: where data goes unless a connection says otherwise. */
  defaultDestination: string;
  maxConcurrent: number;
  logger: Logger;
  /**
   * A failure of the database as the error to report (see OpenedDatabase.explain): one that says the
   * database is out of reach for a while (OUT_OF_REACH) has a run's end recorded once it is back.
   */
  explain?: (error: unknown) => unknown;
}

/** Codes of a database out of reach for a while (down, restarting, locked by another process). */
const OUT_OF_REACH = new Set(["STORE_UNREACHABLE", "STORE_BUSY"]);

/** How often a run's end is tried again while the database is out of reach. */
const RECORD_RETRY_MS = 2000;

export class Runs {
  /** This process, as the owner of the runs it claims. */
  readonly owner = `${process.pid}@${hostname()}`;
  private readonly active = new Map<number, Active>();
  private readonly queue: number[] = [];
  private running = 0;
  private stopping = false;

  constructor(private readonly options: RunsOptions) {}

  /** Claims a run of the connection and queues it; refuses while one is queued or running. */
  async start(connectionId: number, trigger: Trigger): Promise<Run> {
    if (this.stopping) throw new ServerError("SERVER_STOPPING", "the server is stopping: no new runs");
    const connection = await this.options.connections.get(connectionId);
    await this.closeOrphans();
    await this.options.launcher.admit?.(connection);
    const runId = await this.claim(connection, trigger);
    let resolveDone = () => {};
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    this.active.set(runId, {
      runId,
      connection,
      controller: new AbortController(),
      progress: { pages: 0, records: 0, inserted: 0, updated: 0, unchanged: 0, estimatedTotal: null, syncId: null },
      log: [],
      listeners: new Set(),
      lastWrite: 0,
      progressUnsaved: false,
      done,
      resolveDone,
      started: false,
    });
    this.queue.push(runId);
    this.pump();
    return this.get(runId);
  }

  /** Cancels a queued or running run: the connector is stopped gracefully, committed pages stay. */
  async cancel(runId: number, reason = "cancelled by request"): Promise<Run> {
    const active = this.active.get(runId);
    if (!active) {
      const run = await this.get(runId);
      if (run.status === "queued" || run.status === "running")
        throw new ServerError(
          "RUN_NOT_HERE",
          `run ${runId} is ${run.status} in another process (${await this.ownerOf(runId)}), which must cancel it`,
        );
      return run;
    }
    if (!active.started) {
      this.queue.splice(this.queue.indexOf(runId), 1);
      await this.finish(active, { status: "cancelled", syncId: null, counts: active.progress, error: reason });
    } else active.controller.abort(new SluiceError("SYNC_CANCELLED", reason));
    return this.get(runId);
  }

  async get(runId: number): Promise<Run> {
    return this.toRun(await this.row(runId));
  }

  async detail(runId: number): Promise<RunDetail> {
    const row = await this.row(runId);
    const active = this.active.get(runId);
    const log = active ? [...active.log] : row.log ? (JSON.parse(row.log) as LogEntry[]) : [];
    return { ...this.toRun(row), log };
  }

  /** Newest first; `before` pages back by run id. */
  async list(filter: { connectionId?: number; status?: RunStatus; limit: number; before?: number }): Promise<Run[]> {
    let query = this.options.db.selectFrom("_sluice_runs").selectAll().orderBy("id", "desc").limit(filter.limit);
    if (filter.connectionId !== undefined) query = query.where("connection_id", "=", filter.connectionId);
    if (filter.status !== undefined) query = query.where("status", "=", filter.status);
    if (filter.before !== undefined) query = query.where("id", "<", filter.before);
    return (await query.execute()).map((row) => this.toRun(row));
  }

  /** The latest run of each of these connections. */
  async latest(connectionIds: number[]): Promise<Map<number, Run>> {
    if (connectionIds.length === 0) return new Map();
    const rows = await this.options.db
      .selectFrom("_sluice_runs")
      .selectAll()
      .where("id", "in", (q) =>
        q
          .selectFrom("_sluice_runs")
          .select((e) => e.fn.max("id").as("id"))
          .where("connection_id", "in", connectionIds)
          .groupBy("connection_id"),
      )
      .execute();
    return new Map(rows.map((row) => [row.connection_id, this.toRun(row)]));
  }

  /** Whether the connection has a queued or running run (in any process). */
  async busy(connectionId: number): Promise<boolean> {
    const row = await this.options.db
      .selectFrom("_sluice_runs")
      .select("id")
      .where("connection_id", "=", connectionId)
      .where("status", "in", ["queued", "running"])
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Hears a run's events until it ends; returns the unsubscribe function (undefined: the run is not live here). */
  subscribe(runId: number, listener: (event: RunEvent) => void): (() => void) | undefined {
    const active = this.active.get(runId);
    if (!active) return undefined;
    active.listeners.add(listener);
    return () => active.listeners.delete(listener);
  }

  /** Resolves when the run has ended (here), with its final state. */
  async wait(runId: number): Promise<Run> {
    await this.active.get(runId)?.done;
    return this.get(runId);
  }

  /**
   * Runs left queued or running by a process that is gone (this host only:
   * a pid elsewhere cannot be checked) end as failed, freeing their connection.
   */
  async closeOrphans(): Promise<number> {
    const rows = await this.options.db
      .selectFrom("_sluice_runs")
      .select(["id", "owner"])
      .where("status", "in", ["queued", "running"])
      .execute();
    const host = hostname();
    let closed = 0;
    for (const row of rows) {
      const [pid, owner] = [Number(row.owner.split("@")[0]), row.owner.slice(row.owner.indexOf("@") + 1)];
      if (owner !== host || this.active.has(row.id) || (pid !== process.pid && isAlive(pid))) continue;
      await this.options.db
        .updateTable("_sluice_runs")
        .set({
          status: "failed",
          finished_at: now(),
          error: `the process running it (${row.owner}) stopped before it ended`,
        })
        .where("id", "=", row.id)
        .where("status", "in", ["queued", "running"])
        .execute();
      closed++;
    }
    return closed;
  }

  /** No new runs; queued ones are cancelled, running ones cancelled through the connector's graceful stop. */
  async shutdown(reason = "the server is stopping"): Promise<void> {
    this.stopping = true;
    const all = [...this.active.values()];
    for (const active of all) await this.cancel(active.runId, reason);
    await Promise.all(all.map((active) => active.done));
  }

  private async claim(connection: Connection, trigger: Trigger): Promise<number> {
    try {
      const { id } = await this.options.db
        .insertInto("_sluice_runs")
        .values({
          connection_id: connection.id,
          trigger,
          status: "queued",
          owner: this.owner,
          queued_at: now(),
          pages: 0,
          records: 0,
          inserted: 0,
          updated: 0,
          unchanged: 0,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return id;
    } catch (error) {
      const current = await this.options.db
        .selectFrom("_sluice_runs")
        .select(["id", "status"])
        .where("connection_id", "=", connection.id)
        .where("status", "in", ["queued", "running"])
        .executeTakeFirst();
      if (!current) throw error;
      throw new ServerError(
        "RUN_ACTIVE",
        `connection "${connection.name}" has run ${current.id} ${current.status} already; a connection runs one sync at a time`,
      );
    }
  }

  private pump(): void {
    while (this.running < this.options.maxConcurrent && this.queue.length > 0) {
      const runId = this.queue.shift()!;
      const active = this.active.get(runId);
      if (!active) continue;
      this.running++;
      this.execute(active)
        .catch((error) => this.options.logger.error(`run ${runId} could not be recorded: ${this.messageOf(error)}`))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  private async execute(active: Active): Promise<void> {
    active.started = true;
    const { connections, launcher, defaultDestination } = this.options;
    let outcome: RunOutcome;
    try {
      await this.options.db
        .updateTable("_sluice_runs")
        .set({ status: "running", started_at: now() })
        .where("id", "=", active.runId)
        .execute();
      this.emit(active, { type: "status", run: await this.get(active.runId) });
      const { options, secrets } = await connections.unsealedOptions(active.connection.id);
      const connection = await connections.get(active.connection.id);
      outcome = await launcher.launch(
        {
          runId: active.runId,
          connection,
          options: optionsText(options),
          secrets,
          destination: connection.destination ?? defaultDestination,
        },
        { progress: (progress) => this.onProgress(active, progress), log: (entry) => this.onLog(active, entry) },
        active.controller.signal,
      );
    } catch (error) {
      outcome = {
        status: active.controller.signal.aborted ? "cancelled" : "failed",
        syncId: active.progress.syncId,
        counts: active.progress,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    await this.finish(active, outcome);
  }

  private onProgress(active: Active, progress: RunProgress): void {
    active.progress = progress;
    this.emit(active, { type: "progress", progress });
    const at = Date.now();
    if (at - active.lastWrite < PROGRESS_WRITE_INTERVAL_MS) return;
    active.lastWrite = at;
    this.options.db
      .updateTable("_sluice_runs")
      .set({ ...countsOf(progress), sync_id: progress.syncId })
      .where("id", "=", active.runId)
      .execute()
      .then(
        () => {
          active.progressUnsaved = false;
        },
        (error) => {
          if (!active.progressUnsaved)
            this.options.logger.warn(`run ${active.runId}: progress not saved: ${this.messageOf(error)}`);
          active.progressUnsaved = true;
        },
      );
  }

  private onLog(active: Active, entry: LogEntry): void {
    active.log.push(entry);
    if (active.log.length > LOG_ENTRIES_KEPT) active.log.splice(0, active.log.length - LOG_ENTRIES_KEPT);
    this.emit(active, { type: "log", entry });
  }

  private async finish(active: Active, outcome: RunOutcome): Promise<void> {
    try {
      try {
        await this.recordEnd(active, outcome);
      } finally {
        this.active.delete(active.runId);
      }
      const run = await this.get(active.runId);
      this.emit(active, { type: "status", run });
      this.options.logger.info(`run ${run.id} of "${active.connection.name}" ${run.status}`, {
        records: run.records,
        pages: run.pages,
        durationMs: run.durationMs,
      });
    } finally {
      active.listeners.clear();
      active.resolveDone();
    }
  }

  /**
   * Records the run's end; while the database is out of reach (a restart, a failover), again every
   * RECORD_RETRY_MS until it is back, so that the run does not stay "running" and block its
   * connection. A stop gives up: the next start closes the run as orphaned (closeOrphans).
   */
  private async recordEnd(active: Active, outcome: RunOutcome): Promise<void> {
    let warned = false;
    for (;;) {
      try {
        return await this.writeEnd(active, outcome);
      } catch (error) {
        if (this.stopping || !this.outOfReach(error)) throw error;
        if (!warned)
          this.options.logger.warn(
            `run ${active.runId} ${outcome.status} while the database is out of reach: its end is recorded once it is back`,
          );
        warned = true;
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS));
      }
    }
  }

  private async writeEnd(active: Active, outcome: RunOutcome): Promise<void> {
    const row = await this.row(active.runId);
    const finishedAt = now();
    const durationMs = row.started_at ? Date.parse(finishedAt) - Date.parse(row.started_at) : null;
    const records = outcome.counts.records;
    await this.options.db
      .updateTable("_sluice_runs")
      .set({
        status: outcome.status,
        finished_at: finishedAt,
        sync_id: outcome.syncId,
        ...countsOf(outcome.counts),
        duration_ms: durationMs,
        records_per_second: outcome.recordsPerSecond ?? (durationMs ? Math.round((records / durationMs) * 1000) : null),
        error: outcome.error ?? null,
        stderr_tail: outcome.stderrTail ?? null,
        log: JSON.stringify(active.log),
      })
      .where("id", "=", active.runId)
      .execute();
  }

  private explained(error: unknown): unknown {
    return this.options.explain?.(error) ?? error;
  }

  private outOfReach(error: unknown): boolean {
    const explained = this.explained(error);
    return explained instanceof SluiceError && OUT_OF_REACH.has(explained.code);
  }

  private messageOf(error: unknown): string {
    return messageOf(this.explained(error));
  }

  private emit(active: Active, event: RunEvent): void {
    for (const listener of active.listeners) listener(event);
  }

  private async row(runId: number): Promise<RunRow> {
    const row = await this.options.db.selectFrom("_sluice_runs").selectAll().where("id", "=", runId).executeTakeFirst();
    if (!row) throw new ServerError("RUN_NOT_FOUND", `no run has the id ${runId}`, "id");
    return row;
  }

  private async ownerOf(runId: number): Promise<string> {
    return (await this.row(runId)).owner;
  }

  /** A row as the API shows it; a live run's counts come from memory (the row is written once a second). */
  private toRun(row: RunRow): Run {
    const live = this.active.get(row.id)?.progress;
    const counts = live ?? row;
    return {
      id: row.id,
      connectionId: row.connection_id,
      trigger: row.trigger as Trigger,
      status: row.status as RunStatus,
      queuedAt: row.queued_at,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      syncId: live?.syncId ?? row.sync_id,
      pages: counts.pages,
      records: counts.records,
      inserted: counts.inserted,
      updated: counts.updated,
      unchanged: counts.unchanged,
      durationMs: row.duration_ms,
      recordsPerSecond: row.records_per_second,
      estimatedTotal: live?.estimatedTotal ?? null,
      error: row.error,
      stderrTail: row.stderr_tail,
    };
  }
}

function countsOf(counts: { pages: number; records: number; inserted: number; updated: number; unchanged: number }) {
  const { pages, records, inserted, updated, unchanged } = counts;
  return { pages, records, inserted, updated, unchanged };
}

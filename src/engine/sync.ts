/**
 * A sync: one connector's streams into one store. Validates options (schema,
 * then the connector's own Check), discovers streams, opens their tables,
 * reads pages and writes each in a transaction together with the state
 * checkpoint it carries, and keeps the sync log. Emits events for progress;
 * renders nothing.
 */
import type { PageSink, RecordPage, SourceDriver, StreamDescriptor, SyncMode } from "../drivers/types.js";
import { codeOf, ConnectorProtocolError, messageOf, SluiceError } from "../errors.js";
import type { Store, TableSpec, TableWriter, WriteCounts } from "../stores/types.js";
import { OptionsError, validateOptions } from "./options.js";
import { defaultTablePrefix, tableSpec } from "./tables.js";

export interface SyncJob {
  /** The connector instance: names its tables, state and sync log entries. */
  connector: string;
  driver: SourceDriver;
  store: Store;
  options: string;
  /** Streams to read; default: all discovered. */
  streams?: string[];
  /** Ignore the saved state and read everything. */
  fullRefresh?: boolean;
  /** Prefix of table names; default `<connector>_`. */
  tablePrefix?: string;
  /** Abort to cancel (Ctrl-C) or time out; the caller closes the driver. */
  signal?: AbortSignal;
  onEvent?: (event: SyncEvent) => void;
}

export type SyncEvent =
  | { type: "started"; syncId: number; connector: string; protocol: string; streams: string[] }
  | { type: "page"; stream: string; records: number; pages: number; totals: WriteCounts; estimatedTotal?: number }
  | { type: "checkpoint"; state: string };

export interface SyncSummary extends WriteCounts {
  syncId: number;
  connector: string;
  protocol: string;
  pages: number;
  records: number;
  durationMs: number;
  recordsPerSecond: number;
  message?: string;
  streams: Record<string, WriteCounts & { pages: number; table: string }>;
}

export class SyncError extends SluiceError {
  constructor(
    message: string,
    readonly syncId: number | undefined,
    cause: unknown,
  ) {
    super(codeOf(cause, "SYNC_FAILED"), message, { cause });
  }
}

export class StreamSelectionError extends SluiceError {
  constructor(connector: string, unknown: string[], available: string[]) {
    super(
      "STREAM_UNKNOWN",
      `connector "${connector}" has no stream ${unknown.map((s) => `"${s}"`).join(", ")}; it offers: ${available.join(", ") || "(none)"}`,
    );
  }
}

export async function runSync(job: SyncJob): Promise<SyncSummary> {
  const { driver, store, connector } = job;
  const spec = await driver.spec();
  validateOptions(connector, spec.optionsSchema, job.options);
  const check = await driver.check(job.options);
  if (!check.ok)
    throw new OptionsError(
      connector,
      check.errors.length ? check.errors : ["the connector's check failed without saying why"],
    );
  const streams = selectStreams(connector, await driver.discover(job.options), job.streams);
  const prefix = job.tablePrefix ?? defaultTablePrefix(connector);
  const tables = new Tables(store, connector, prefix, streams);
  await tables.openEager();

  const state = job.fullRefresh ? "" : await store.loadState(connector);
  const syncId = await store.beginSync(connector, driver.protocol);
  job.onEvent?.({ type: "started", syncId, connector, protocol: driver.protocol, streams: streams.map((s) => s.name) });

  const started = performance.now();
  const progress = new Progress(tables);
  const writePage = async (page: RecordPage): Promise<void> => {
    job.signal?.throwIfAborted();
    const table = await tables.get(page.stream);
    if (!table)
      throw new ConnectorProtocolError(
        `connector "${connector}" sent a page for stream "${page.stream}", which was not selected or discovered`,
      );
    const checkpoint = page.checkpoint !== undefined ? { connector, state: page.checkpoint } : undefined;
    const counts = await table.write(page.rows, syncId, checkpoint);
    const totals = progress.add(page.stream, counts);
    job.onEvent?.({
      type: "page",
      stream: page.stream,
      records: page.rows.length,
      pages: progress.pages,
      totals,
      estimatedTotal: page.estimatedTotal,
    });
    if (checkpoint) job.onEvent?.({ type: "checkpoint", state: checkpoint.state });
  };
  const sink: PageSink = {
    page: writePage,
    checkpoint: async (state) => {
      job.signal?.throwIfAborted();
      await store.saveState(connector, state, syncId);
      job.onEvent?.({ type: "checkpoint", state });
    },
  };

  try {
    const request = {
      options: job.options,
      state,
      streams: streams.map((s) => ({ name: s.name, syncMode: modeFor(s, job.fullRefresh) })),
    };
    const outcome = await abortable(driver.read(request, sink), job.signal);
    await tables.finish();
    const summary = progress.summary(syncId, connector, driver.protocol, performance.now() - started, outcome.message);
    await store.finishSync(syncId, {
      status: "succeeded",
      ...progress.totals,
      pages: progress.pages,
      message: outcome.message,
    });
    return summary;
  } catch (error) {
    const cancelled = job.signal?.aborted === true;
    const reason = cancelled ? messageOf(job.signal?.reason) : messageOf(error);
    await store
      .finishSync(syncId, {
        status: cancelled ? "cancelled" : "failed",
        ...progress.totals,
        pages: progress.pages,
        error: reason,
      })
      .catch(() => {});
    const kept = progress.pages ? `\n${progress.pages} page(s) written before the failure are kept.` : "";
    throw new SyncError(
      `sync ${syncId} of "${connector}" ${cancelled ? "was cancelled" : "failed"}: ${reason}${kept}`,
      syncId,
      error,
    );
  }
}

function selectStreams(connector: string, discovered: StreamDescriptor[], wanted?: string[]): StreamDescriptor[] {
  if (!wanted?.length) return discovered;
  const unknown = wanted.filter((name) => !discovered.some((s) => s.name === name));
  if (unknown.length)
    throw new StreamSelectionError(
      connector,
      unknown,
      discovered.map((s) => s.name),
    );
  return discovered.filter((s) => wanted.includes(s.name));
}

function modeFor(stream: StreamDescriptor, fullRefresh?: boolean): SyncMode {
  return !fullRefresh && stream.syncModes.includes("incremental") ? "incremental" : "full_refresh";
}

/** Rejects as soon as `signal` aborts, without waiting for `work`. */
function abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The selected streams' tables: opened up front, or on the first page of a stream that asks for it. */
class Tables {
  private readonly writers = new Map<string, Promise<TableWriter>>();
  /** The table each opened stream got from the store (which may differ from the name asked for). */
  private readonly names = new Map<string, string>();
  private readonly specs: Map<string, TableSpec>;

  constructor(
    private readonly store: Store,
    connector: string,
    prefix: string,
    private readonly streams: StreamDescriptor[],
  ) {
    this.specs = new Map(streams.map((stream) => [stream.name, tableSpec(connector, prefix, stream)]));
  }

  async openEager(): Promise<void> {
    for (const stream of this.streams) if (!stream.createTableOnFirstRecord) await this.get(stream.name);
  }

  get(stream: string): Promise<TableWriter> | undefined {
    let writer = this.writers.get(stream);
    const spec = this.specs.get(stream);
    if (!writer && spec) {
      writer = this.store.openTable(spec).then((opened) => {
        this.names.set(stream, opened.table);
        return opened;
      });
      this.writers.set(stream, writer);
    }
    return writer;
  }

  /** The sync succeeded: replacing tables take their place. */
  async finish(): Promise<void> {
    for (const writer of this.writers.values()) await (await writer).finish();
  }

  /** Streams whose table is open, with the table's name. */
  opened(): { stream: string; table: string }[] {
    return [...this.names].map(([stream, table]) => ({ stream, table }));
  }

  tableOf(stream: string): string {
    return this.names.get(stream) ?? this.specs.get(stream)!.table;
  }
}

class Progress {
  pages = 0;
  readonly totals: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
  private readonly perStream: SyncSummary["streams"] = {};

  constructor(private readonly tables: Tables) {
    for (const { stream, table } of tables.opened())
      this.perStream[stream] = { inserted: 0, updated: 0, unchanged: 0, pages: 0, table };
  }

  add(stream: string, counts: WriteCounts): WriteCounts {
    const entry = (this.perStream[stream] ??= {
      inserted: 0,
      updated: 0,
      unchanged: 0,
      pages: 0,
      table: this.tables.tableOf(stream),
    });
    this.pages++;
    entry.pages++;
    for (const key of ["inserted", "updated", "unchanged"] as const) {
      entry[key] += counts[key];
      this.totals[key] += counts[key];
    }
    if (counts.deleted) {
      entry.deleted = (entry.deleted ?? 0) + counts.deleted;
      this.totals.deleted = (this.totals.deleted ?? 0) + counts.deleted;
    }
    return { ...this.totals };
  }

  summary(syncId: number, connector: string, protocol: string, durationMs: number, message?: string): SyncSummary {
    const records = this.totals.inserted + this.totals.updated + this.totals.unchanged;
    return {
      syncId,
      connector,
      protocol,
      ...this.totals,
      pages: this.pages,
      records,
      durationMs,
      recordsPerSecond: durationMs > 0 ? Math.round((records / durationMs) * 1000) : 0,
      message,
      streams: this.perStream,
    };
  }
}

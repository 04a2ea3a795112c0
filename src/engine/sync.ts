/**
 * A sync: one connector's streams into one store. The source is prepared
 * (spec, options against its schema, its own check, discover, the streams
 * selected), then moved into the store by the engine's one path (transfer.ts):
 * each page written in a transaction together with the state checkpoint it
 * carries, and the sync log kept. Emits events for progress; renders nothing.
 */
import type { SourceDriver, StopConditions } from "../drivers/types.js";
import { codeOf, SluiceError } from "../errors.js";
import type { Store, WriteCounts } from "../stores/types.js";
import { prepareSource } from "./prepare.js";
import { StoreDestination } from "./store-destination.js";
import { defaultTablePrefix } from "./tables.js";
import { type StreamTotals, type SyncEvent, transfer } from "./transfer.js";

export type { SyncEvent };

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
  /** When a source that never ends by itself (a Conduit source) stops. */
  stop?: StopConditions;
  /** Abort to cancel (Ctrl-C) or time out; the caller closes the driver. */
  signal?: AbortSignal;
  onEvent?: (event: SyncEvent) => void;
}

export interface SyncSummary extends WriteCounts {
  syncId: number;
  connector: string;
  protocol: string;
  /** How the connector was reached, where that can differ (go-plugin: "grpc" or "grpc+mtls"). */
  transport?: string;
  pages: number;
  records: number;
  durationMs: number;
  recordsPerSecond: number;
  message?: string;
  streams: Record<string, StreamTotals>;
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

/** How long a Conduit source may stay quiet before its sync takes it as caught up, when nothing else says. */
export const CONDUIT_IDLE_STOP_SECONDS = 10;

/**
 * The stop conditions of a sync of a `protocol` source: the given ones; for a
 * source that never ends by itself (Conduit) without any, the idle stop
 * (`defaulted` says so, for the caller to tell the user).
 */
export function syncStopFor(
  protocol: string,
  given: StopConditions = {},
): { stop: StopConditions; defaulted: boolean } {
  if (protocol !== "conduit" || given.maxRecords !== undefined || given.idleMs !== undefined)
    return { stop: given, defaulted: false };
  return { stop: { ...given, idleMs: CONDUIT_IDLE_STOP_SECONDS * 1000 }, defaulted: true };
}

export async function runSync(job: SyncJob): Promise<SyncSummary> {
  const { driver, store, connector } = job;
  const source = await prepareSource({ connector, driver, options: job.options, streams: job.streams });
  const result = await transfer({
    connector,
    label: driver.protocol,
    stateKey: connector,
    driver,
    source,
    destination: new StoreDestination(store, connector, job.tablePrefix ?? defaultTablePrefix(connector), connector),
    ledger: store,
    fullRefresh: job.fullRefresh,
    stop: job.stop,
    signal: job.signal,
    onEvent: job.onEvent,
  });
  const { syncId, progress } = result;
  if (!result.ok) {
    const kept = progress.pages ? `\n${progress.pages} page(s) written before the failure are kept.` : "";
    throw new SyncError(
      `sync ${syncId} of "${connector}" ${result.cancelled ? "was cancelled" : "failed"}: ${result.reason}${kept}`,
      syncId,
      result.error,
    );
  }
  const { totals, pages } = progress;
  const records = totals.inserted + totals.updated + totals.unchanged;
  return {
    syncId,
    connector,
    protocol: driver.protocol,
    transport: driver.transport,
    ...totals,
    pages,
    records,
    durationMs: result.durationMs,
    recordsPerSecond: result.durationMs > 0 ? Math.round((records / result.durationMs) * 1000) : 0,
    message: result.outcome.message,
    streams: progress.perStream,
  };
}

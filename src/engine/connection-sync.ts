/**
 * One sync of a connection: an installed connector's streams into the store
 * its destination names, as `sluice sync` runs them. The server (in its own
 * process) and the Temporal worker (one attempt of an activity) both run
 * syncs through this, so they open, stop and close connectors and stores the
 * same way; each keeps only what is its own (logs, heartbeats, failures).
 */
import type { SourceDriver } from "../drivers/types.js";
import type { Logger } from "../logging.js";
import { openStore } from "../stores/open.js";
import type { Store } from "../stores/types.js";
import { openSource } from "./open-source.js";
import { CONDUIT_IDLE_STOP_SECONDS, runSync, type SyncEvent, type SyncSummary, syncStopFor } from "./sync.js";

export interface ConnectionSyncJob {
  /** The connection's name: its tables, state and sync log entries go by it. */
  connection: string;
  /** The installed connector it runs. */
  connector: string;
  /** Where it writes: anything `--db` takes. */
  destination: string;
  options: string;
  streams?: string[];
  tablePrefix?: string;
  /** The installation home whose connectors run (default $SLUICE_HOME). */
  home?: string;
  logger: Logger;
  signal: AbortSignal;
  /** Runs once the store is open, before the connector starts. */
  beforeStart?(store: Store): Promise<void>;
  /** After each event of the sync: its start, a page written, a checkpoint saved. */
  onProgress?(progress: ConnectionSyncProgress, event: SyncEvent["type"]): void;
}

/** Where a running sync is: its log entry, the counts so far, and the last checkpoint saved. */
export interface ConnectionSyncProgress {
  syncId: number | null;
  pages: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  estimatedTotal: number | null;
  checkpoint: string | null;
}

export async function runConnectionSync(job: ConnectionSyncJob): Promise<SyncSummary> {
  const { logger, signal } = job;
  const progress: ConnectionSyncProgress = {
    ...{ syncId: null, pages: 0, records: 0, inserted: 0, updated: 0, unchanged: 0 },
    ...{ estimatedTotal: null, checkpoint: null },
  };
  let store: Store | undefined;
  let driver: SourceDriver | undefined;
  try {
    store = await openStore(job.destination, { warn: (message) => logger.warn(message) });
    await job.beforeStart?.(store);
    // The driver keeps the installed connector's name (its messages say which program failed); the
    // connection's name goes to runSync, which names the tables, state and sync log by it.
    const opened = await openSource(
      { installed: job.connector },
      { logger: logger.child({ connector: job.connection }), home: job.home },
    );
    driver = opened.driver;
    signal.throwIfAborted();
    const { stop, defaulted } = syncStopFor(opened.protocol);
    if (defaulted)
      logger.info(
        `a Conduit source never ends by itself: the run stops once no record arrived for ${CONDUIT_IDLE_STOP_SECONDS} s`,
      );
    return await runSync({
      connector: job.connection,
      driver,
      store,
      options: job.options,
      streams: job.streams,
      tablePrefix: job.tablePrefix,
      stop,
      signal,
      onEvent: (event) => {
        if (event.type === "started") {
          progress.syncId = event.syncId;
          logger.info(`sync #${event.syncId} started: streams ${event.streams.join(", ")} (${event.protocol})`);
        } else if (event.type === "checkpoint") progress.checkpoint = event.state;
        else {
          const { inserted, updated, unchanged } = event.totals;
          Object.assign(progress, { pages: event.pages, inserted, updated, unchanged });
          progress.records = inserted + updated + unchanged;
          progress.estimatedTotal = event.estimatedTotal ?? progress.estimatedTotal;
        }
        job.onProgress?.({ ...progress }, event.type);
      },
    });
  } finally {
    await driver?.close().catch(() => {});
    await store?.close().catch(() => {});
  }
}

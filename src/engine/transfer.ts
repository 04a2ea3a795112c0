/**
 * The one engine path from a source to a destination: the destination opens
 * for the selected streams, the run is logged, the source reads from the
 * saved state, every page is written (with the checkpoint it carries) and
 * every checkpoint saved once the pages before it are durable, then the
 * destination finishes and the log says how it went. runSync (into the store)
 * and runPipeline (into the store or a connector) are this with their own
 * destination, state key and summary.
 */
import type {
  PageSink,
  ReadOutcome,
  SourceDriver,
  StopConditions,
  StreamDescriptor,
  SyncMode,
} from "../drivers/types.js";
import { within } from "../async.js";
import { ConnectorProtocolError, messageOf } from "../errors.js";
import {
  NOTHING_WRITTEN,
  type PageTakenBack,
  PagesTakenBackError,
  type Store,
  type SyncOutcome,
  type WriteCounts,
} from "../stores/types.js";
import type { Destination } from "./destination.js";
import type { PreparedSource } from "./prepare.js";
import { startHeartbeat } from "./sync-alive.js";
import { keepUnrecordedEnd, THIS_PROCESS } from "./sync-owner.js";

export type SyncEvent =
  | { type: "started"; syncId: number; connector: string; protocol: string; streams: string[] }
  | { type: "page"; stream: string; records: number; pages: number; totals: WriteCounts; estimatedTotal?: number }
  | { type: "checkpoint"; state: string };

export interface TransferJob {
  /** Names the run in the sync log and in messages. */
  connector: string;
  /** The protocol column of the sync log. */
  label: string;
  /** Where the source's state is loaded from and saved to. */
  stateKey: string;
  driver: SourceDriver;
  source: PreparedSource;
  destination: Destination;
  /** Holds the state and the sync log (the store itself, when it is the destination). */
  ledger: Store;
  /** Ignore the saved state and read everything. */
  fullRefresh?: boolean;
  /** When an endless source stops (gracefully). */
  stop?: StopConditions;
  /** Aborting cancels the run (it fails, keeping what was written). */
  signal?: AbortSignal;
  onEvent?: (event: SyncEvent) => void;
}

export type TransferResult =
  | { ok: true; syncId: number; progress: Progress; outcome: ReadOutcome; durationMs: number }
  | { ok: false; syncId: number; progress: Progress; error: unknown; cancelled: boolean; reason: string };

/** Runs the job; a failure once the read has begun is a result (`ok: false`), one before is thrown (its log entry, if made, closed as failed). */
export async function transfer(job: TransferJob): Promise<TransferResult> {
  const { driver, destination, ledger, connector, source } = job;
  // Logged first: another sync of the connector still running refuses this one before it touches anything.
  const syncId = await ledger.beginSync(connector, job.label, THIS_PROCESS);
  let state: string;
  try {
    await destination.open(source.streams);
    state = job.fullRefresh ? "" : await ledger.loadState(job.stateKey);
  } catch (error) {
    // Thrown as before the run began (nothing was read); its entry says so, if the store still answers.
    await closeLogEntry(ledger, syncId, { status: "failed", ...NOTHING_WRITTEN, error: messageOf(error) });
    throw error;
  }
  job.onEvent?.({
    type: "started",
    syncId,
    connector,
    protocol: driver.protocol,
    streams: source.streams.map((s) => s.name),
  });

  const started = performance.now();
  const progress = new Progress(destination);
  const streams = new StreamCatalog(connector, driver, source.streams);
  const writes = new WritesInFlight();
  const heartbeat = startHeartbeat(ledger, syncId);
  const sink: PageSink = {
    page: writes.track((page) =>
      heartbeat.turn(async () => {
        job.signal?.throwIfAborted();
        const counts = await destination.write(page, streams.get(page.stream), syncId);
        const totals = progress.add(page.stream, page.rows.length, counts);
        job.onEvent?.({
          type: "page",
          stream: page.stream,
          records: page.rows.length,
          pages: progress.pages,
          totals,
          estimatedTotal: page.estimatedTotal,
        });
        if (page.checkpoint !== undefined) job.onEvent?.({ type: "checkpoint", state: page.checkpoint });
      }),
    ),
    // Only a stream already known: an unknown one is the page's own error to report.
    upcoming: (page) => {
      const stream = streams.find(page.stream);
      if (stream) destination.upcoming?.(page, stream);
    },
    checkpoint: writes.track((checkpoint) =>
      heartbeat.turn(async () => {
        job.signal?.throwIfAborted();
        await destination.checkpoint(checkpoint, syncId);
        job.onEvent?.({ type: "checkpoint", state: checkpoint });
      }),
    ),
  };

  try {
    const request = {
      options: source.options,
      state,
      streams: source.streams.map((s) => ({ name: s.name, syncMode: modeFor(s, job.fullRefresh) })),
      stop: job.stop,
    };
    const outcome = await abortable(driver.read(request, sink), job.signal);
    await heartbeat.stop();
    await destination.finish();
    const durationMs = performance.now() - started;
    await ledger.finishSync(syncId, {
      status: "succeeded",
      ...progress.totals,
      pages: progress.pages,
      message: outcome.message,
    });
    return { ok: true, syncId, progress, outcome, durationMs };
  } catch (error) {
    // A cancel does not wait for the read, but the page being written when it came must end (committed with its
    // checkpoint, or rolled back) before the log's last word: both share the store's connection, and a last word
    // sent inside the page's transaction would be lost with it (the entry left "running", the counts short).
    // Bounded: a destination connector that stopped answering (frozen, SIGSTOP) never ends its write, and
    // the stop must not wait on it forever; its log is kept elsewhere (the state database), so nothing races.
    // Nor does a cancel wait for a store out of reach to come back.
    if (job.signal?.aborted) ledger.stopWaiting?.();
    await within(heartbeat.stop(), WRITES_SETTLE_MS, undefined);
    await within(writes.settled(), WRITES_SETTLE_MS, undefined);
    for (const page of takenBackBy(error)) progress.takeBack(page);
    const cancelled = job.signal?.aborted === true;
    const reason = cancelled ? messageOf(job.signal?.reason) : messageOf(error);
    const unlogged = await closeLogEntry(ledger, syncId, {
      status: cancelled ? "cancelled" : "failed",
      ...progress.totals,
      pages: progress.pages,
      error: reason,
    });
    return { ok: false, syncId, progress, error, cancelled, reason: unlogged ? `${reason}${unlogged}` : reason };
  }
}

/**
 * Ends a failed run's log entry. That can fail too (the store is what broke): the run's own error stays
 * the one reported, and what became of its entry is added to the reason, never dropped.
 */
async function closeLogEntry(ledger: Store, syncId: number, outcome: SyncOutcome): Promise<string | undefined> {
  try {
    await ledger.finishSync(syncId, outcome);
    return undefined;
  } catch (error) {
    keepUnrecordedEnd(ledger.location, syncId, outcome);
    return `\n(the sync log entry #${syncId} could not be closed as ${outcome.status}, and says "running" until the connector's next sync closes it: ${messageOf(error)})`;
  }
}

/** The pages a crash of the database took back, if that is what (or what caused what) ended the run. */
function takenBackBy(error: unknown): PageTakenBack[] {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (cause instanceof PagesTakenBackError) return cause.pages;
  return [];
}

/** How long a stopped run waits for the page write in flight (a store's page takes milliseconds to seconds). */
const WRITES_SETTLE_MS = 10_000;

/** The sink's calls in flight, so a run that stops early can wait until none is left writing. */
class WritesInFlight {
  private readonly pending = new Set<Promise<unknown>>();

  track<A>(write: (arg: A) => Promise<void>): (arg: A) => Promise<void> {
    return (arg) => {
      const promise = write(arg);
      const entry = promise.catch(() => {});
      this.pending.add(entry);
      void entry.finally(() => this.pending.delete(entry));
      return promise;
    };
  }

  /** Resolves once every call made so far has ended, however it ended. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }
}

/** The streams pages may name: those selected, and those a source makes known as they arrive. */
class StreamCatalog {
  private readonly known: Map<string, StreamDescriptor>;

  constructor(
    private readonly connector: string,
    private readonly driver: SourceDriver,
    selected: StreamDescriptor[],
  ) {
    this.known = new Map(selected.map((stream) => [stream.name, stream]));
  }

  /** A stream already known, or undefined (without asking the driver, without an error). */
  find(name: string): StreamDescriptor | undefined {
    return this.known.get(name);
  }

  get(name: string): StreamDescriptor {
    let stream = this.known.get(name);
    if (!stream && (stream = this.driver.streamOf?.(name))) this.known.set(name, stream);
    if (!stream)
      throw new ConnectorProtocolError(
        `connector "${this.connector}" sent a page for stream "${name}", which was not selected or discovered`,
      );
    return stream;
  }
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

export type StreamTotals = WriteCounts & { pages: number; table: string };

/** Counts per stream and in all, as pages are written. */
export class Progress {
  pages = 0;
  /** Rows received, whatever became of them (inserted, updated, unchanged, deleted). */
  received = 0;
  readonly totals: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
  readonly perStream: Record<string, StreamTotals> = {};

  constructor(private readonly destination: Destination) {
    for (const stream of destination.opened?.() ?? []) this.perStream[stream] = this.emptyTotals(stream);
  }

  add(stream: string, rows: number, counts: WriteCounts): WriteCounts {
    this.count(stream, rows, counts, 1);
    return { ...this.totals };
  }

  /** Takes a page out of the counts again: the database lost it after it had committed (PagesTakenBackError). */
  takeBack({ stream, rows, counts }: PageTakenBack): void {
    this.count(stream, rows, counts, -1);
  }

  private count(stream: string, rows: number, counts: WriteCounts, sign: 1 | -1): void {
    const entry = (this.perStream[stream] ??= this.emptyTotals(stream));
    this.pages += sign;
    this.received += sign * rows;
    entry.pages += sign;
    for (const key of ["inserted", "updated", "unchanged"] as const) {
      entry[key] += sign * counts[key];
      this.totals[key] += sign * counts[key];
    }
    if (counts.deleted) {
      entry.deleted = (entry.deleted ?? 0) + sign * counts.deleted;
      this.totals.deleted = (this.totals.deleted ?? 0) + sign * counts.deleted;
    }
  }

  private emptyTotals(stream: string): StreamTotals {
    return { inserted: 0, updated: 0, unchanged: 0, pages: 0, table: this.destination.tableOf?.(stream) ?? "" };
  }
}

/**
 * Pipelines with Conduit's delivery guarantees: a source (a Conduit
 * connector, or any Sluice source driver) into a destination (the store, or
 * a Conduit connector). A source's position is saved only once every record
 * up to it is durable at the destination — in the same transaction as the
 * records for the store, after the destination's acks for a connector — so a
 * restarted pipeline resumes without loss. Conduit sources never end by
 * themselves: a pipeline stops on --max-records, --idle-stop or Ctrl-C, with
 * Stop, a drain to the last position, and Teardown.
 */
import type {
  ConduitConfig,
  ConduitConnectorHandle,
  ConnectorSide,
  DestinationStream,
  LifecycleChange,
  OpenCdcRecord,
  SourceStream,
} from "../drivers/conduit/index.js";
import {
  bytesText,
  checkConfig,
  ConfigError,
  KEY_COLUMN,
  recordToChange,
  rowToRecord,
  type SchemaDecoder,
} from "../drivers/conduit/index.js";
import type { RecordPage, SourceDriver, StreamDescriptor } from "../drivers/types.js";
import { codeOf, ConnectorProtocolError, messageOf, SluiceError, UsageError } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import { deletion, type Row, type Store, type TableWriter, type WriteCounts } from "../stores/types.js";
import { defaultTablePrefix, tableSpec } from "./tables.js";

export type PipelineFrom =
  | { kind: "conduit"; handle: ConduitConnectorHandle; config: ConduitConfig }
  | { kind: "sluice"; name: string; driver: SourceDriver; options: string };
export type PipelineTo =
  | { kind: "store"; store: Store; tablePrefix?: string }
  | { kind: "conduit"; handle: ConduitConnectorHandle; config: ConduitConfig };

export interface PipelineJob {
  /** Names the pipeline's saved positions and configs. */
  name: string;
  from: PipelineFrom;
  to: PipelineTo;
  /** Where positions, configs and the run log are kept (the store, or a state database beside a connector destination). */
  state: Store;
  maxRecords?: number;
  /** Stop once no record has arrived for this long. */
  idleStopMs?: number;
  /** Aborting stops the pipeline gracefully (Stop, drain, Teardown). */
  signal?: AbortSignal;
  logger?: Logger;
  /** Decodes records the connector's SDK encoded with registered schemas (into the store). */
  schemas?: SchemaDecoder;
  onProgress?: (progress: { records: number; stream: string }) => void;
}

export interface PipelineSummary {
  name: string;
  records: number;
  acked: number;
  deleted: number;
  durationMs: number;
  recordsPerSecond: number;
  /** The saved position (Conduit sources), as text. */
  position?: string;
  lifecycle: Partial<Record<ConnectorSide, LifecycleChange["kind"] | "unchanged">>;
  stoppedBy: "max-records" | "idle" | "signal" | "source-ended";
  tables?: Record<string, string>;
}

export class PipelineError extends SluiceError {
  constructor(name: string, problem: string, cause?: unknown) {
    super(codeOf(cause, "PIPELINE_FAILED"), `pipeline "${name}" failed: ${problem}`, { cause });
  }
}

interface SavedConnector {
  config: ConduitConfig;
  /** base64 */
  position?: string;
  /** A Sluice source's own state. */
  state?: string;
}

const stateKey = (pipeline: string, side: ConnectorSide) => `pipeline:${pipeline}:${side}`;

async function loadSaved(store: Store, key: string): Promise<SavedConnector | undefined> {
  const text = await store.loadState(key);
  return text ? (JSON.parse(text) as SavedConnector) : undefined;
}

const sameConfig = (a: ConduitConfig, b: ConduitConfig) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** Both ends' configs against their specifications, before either connector is configured or opened. */
async function validateConfigs(job: PipelineJob): Promise<void> {
  const ends: [ConnectorSide, PipelineFrom | PipelineTo][] = [
    ["source", job.from],
    ["destination", job.to],
  ];
  for (const [side, end] of ends) {
    if (end.kind !== "conduit") continue;
    const { problems, unknown } = checkConfig(await end.handle.specify(), side, end.config);
    if (problems.length) throw new ConfigError(end.handle.name, side, problems);
    if (unknown.length)
      (job.logger ?? silentLogger).warn(
        `the ${side} config of "${end.handle.name}" has keys its specification does not list: ${unknown.join(", ")}`,
      );
  }
}

/** Configures one side and runs its lifecycle event; returns what was saved for it before. */
async function prepare(
  job: PipelineJob,
  side: ConnectorSide,
  config: ConduitConfig,
  endpoint: { configure(config: ConduitConfig): Promise<void>; lifecycle(change: LifecycleChange): Promise<void> },
  summary: PipelineSummary,
): Promise<SavedConnector | undefined> {
  await endpoint.configure(config);
  const saved = await loadSaved(job.state, stateKey(job.name, side));
  const change: LifecycleChange | undefined = !saved
    ? { kind: "created", config }
    : sameConfig(saved.config, config)
      ? undefined
      : { kind: "updated", before: saved.config, after: config };
  if (change) await endpoint.lifecycle(change);
  summary.lifecycle[side] = change?.kind ?? "unchanged";
  return saved;
}

/** Batches from a Conduit source until a stop condition, then Stop and drain to the last position. */
class SourceReader {
  private pending: Promise<OpenCdcRecord[] | undefined> | undefined;
  private lastSeen: Buffer | undefined;
  stoppedBy: PipelineSummary["stoppedBy"] = "source-ended";

  constructor(
    private readonly stream: SourceStream,
    private readonly stop: () => Promise<Buffer>,
    private readonly job: PipelineJob,
  ) {}

  /** Calls `handle` for every batch, in order, until stopped and drained. */
  async each(handle: (records: OpenCdcRecord[]) => Promise<void>, received: () => number): Promise<void> {
    try {
      const stopReason = await this.readUntilStop(handle, received);
      if (!stopReason) return;
      this.stoppedBy = stopReason;
      const last = await this.stop();
      while (last.length && !this.lastSeen?.equals(last)) {
        const batch = await (this.pending ?? this.stream.next());
        this.pending = undefined;
        if (!batch) break;
        await this.deliver(batch, handle);
      }
    } finally {
      this.stream.close();
    }
  }

  private async readUntilStop(
    handle: (records: OpenCdcRecord[]) => Promise<void>,
    received: () => number,
  ): Promise<PipelineSummary["stoppedBy"] | undefined> {
    for (;;) {
      if (this.job.signal?.aborted) return "signal";
      if (this.job.maxRecords !== undefined && received() >= this.job.maxRecords) return "max-records";
      this.pending ??= this.stream.next();
      const outcome = await this.race(this.pending);
      if (outcome === "idle" || outcome === "signal") return outcome;
      this.pending = undefined;
      if (!outcome.batch) return undefined;
      await this.deliver(outcome.batch, handle);
    }
  }

  private async deliver(batch: OpenCdcRecord[], handle: (records: OpenCdcRecord[]) => Promise<void>): Promise<void> {
    if (!batch.length) return;
    this.lastSeen = batch[batch.length - 1].position;
    await handle(batch);
  }

  private race(
    next: Promise<OpenCdcRecord[] | undefined>,
  ): Promise<{ batch: OpenCdcRecord[] | undefined } | "idle" | "signal"> {
    const waits: Promise<{ batch: OpenCdcRecord[] | undefined } | "idle" | "signal">[] = [
      next.then((batch) => ({ batch })),
    ];
    let timer: NodeJS.Timeout | undefined;
    if (this.job.idleStopMs !== undefined)
      waits.push(new Promise((resolve) => (timer = setTimeout(() => resolve("idle"), this.job.idleStopMs))));
    const signal = this.job.signal;
    let onAbort = () => {};
    if (signal)
      waits.push(
        new Promise((resolve) => signal.addEventListener("abort", (onAbort = () => resolve("signal")), { once: true })),
      );
    return Promise.race(waits).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  }
}

/** Tracks records sent to a destination until their acks arrive, in order; a failed record fails the pipeline. */
class AckTracker {
  private readonly outstanding: Buffer[] = [];
  private readonly waiters: { count: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  acked = 0;
  private sent = 0;
  private failure: unknown;
  readonly done: Promise<void>;

  constructor(
    private readonly stream: DestinationStream,
    private readonly destination: string,
  ) {
    this.done = this.consume();
  }

  async send(records: OpenCdcRecord[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (const record of records) this.outstanding.push(record.position);
    this.sent += records.length;
    await this.stream.send(records);
  }

  /** Resolves once every record sent so far is acked. */
  settled(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.acked >= this.sent) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ count: this.sent, resolve, reject }));
  }

  private async consume(): Promise<void> {
    try {
      for (let acks = await this.stream.nextAcks(); acks; acks = await this.stream.nextAcks()) {
        for (const ack of acks) {
          const expected = this.outstanding.shift();
          if (ack.error)
            throw new SluiceError(
              "DESTINATION_REJECTED",
              `destination "${this.destination}" failed the record at position ${bytesText(ack.position)}: ${ack.error}`,
            );
          if (expected && !expected.equals(ack.position))
            throw new ConnectorProtocolError(
              `destination "${this.destination}" acked position ${bytesText(ack.position)}, expected ${bytesText(expected)} (acks must come in order)`,
            );
          this.acked++;
        }
        for (const waiter of this.waiters.splice(0))
          this.acked >= waiter.count ? waiter.resolve() : this.waiters.push(waiter);
      }
    } catch (error) {
      this.failure = error;
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    }
  }
}

/** Store tables per stream (one per OpenCDC collection), opened on first use. */
class StoreTables {
  private readonly writers = new Map<string, Promise<TableWriter>>();
  readonly names: Record<string, string> = {};

  constructor(
    private readonly store: Store,
    private readonly connector: string,
    private readonly prefix: string,
  ) {}

  get(stream: string): Promise<TableWriter> {
    let writer = this.writers.get(stream);
    if (!writer) {
      const descriptor: StreamDescriptor = {
        name: stream,
        jsonSchema: { properties: { [KEY_COLUMN]: { type: "string" } } },
        primaryKey: [KEY_COLUMN],
        syncModes: ["incremental"],
      };
      writer = this.store.openTable(tableSpec(this.connector, this.prefix, descriptor)).then((opened) => {
        this.names[stream] = opened.table;
        return opened;
      });
      this.writers.set(stream, writer);
    }
    return writer;
  }
}

async function openSource(
  job: PipelineJob,
  source: { open(position: Buffer): Promise<void> },
  saved: SavedConnector | undefined,
): Promise<void> {
  const position = Buffer.from(saved?.position ?? "", "base64");
  (job.logger ?? silentLogger).info(
    position.length
      ? `opening the source at the saved position ${bytesText(position)}`
      : "opening the source from the start (no saved position)",
  );
  await source.open(position);
}

function started(job: PipelineJob): PipelineSummary {
  return {
    name: job.name,
    records: 0,
    acked: 0,
    deleted: 0,
    durationMs: 0,
    recordsPerSecond: 0,
    lifecycle: {},
    stoppedBy: "source-ended",
  };
}

function finished(summary: PipelineSummary, startedAt: number): PipelineSummary {
  summary.durationMs = performance.now() - startedAt;
  summary.recordsPerSecond = summary.durationMs > 0 ? Math.round((summary.records / summary.durationMs) * 1000) : 0;
  return summary;
}

/** Conduit source → the store: each batch written (position in the last transaction), then acked. */
async function conduitToStore(
  job: PipelineJob,
  from: Extract<PipelineFrom, { kind: "conduit" }>,
  store: Store,
  prefix: string,
  summary: PipelineSummary,
  syncId: number,
): Promise<void> {
  const source = from.handle.source();
  const saved = await prepare(job, "source", from.config, source, summary);
  const key = stateKey(job.name, "source");
  await openSource(job, source, saved);
  const tables = new StoreTables(store, job.name, prefix);
  const stream = source.run();
  const reader = new SourceReader(stream, () => source.stop(), job);
  await reader.each(
    async (batch) => {
      const byStream = new Map<string, Row[]>();
      for (const record of batch) {
        const change = recordToChange(job.schemas ? job.schemas.decode(record) : record);
        const rows = byStream.get(change.stream) ?? [];
        rows.push(change.delete ? deletion({ [KEY_COLUMN]: change.row[KEY_COLUMN] }) : change.row);
        byStream.set(change.stream, rows);
      }
      const position = batch[batch.length - 1].position;
      const checkpoint = {
        connector: key,
        state: JSON.stringify({ config: from.config, position: position.toString("base64") } satisfies SavedConnector),
      };
      const streams = [...byStream];
      for (const [index, [stream, rows]] of streams.entries()) {
        const counts: WriteCounts = await (await tables.get(stream)).write(
          rows,
          syncId,
          index === streams.length - 1 ? checkpoint : undefined,
        );
        summary.deleted += counts.deleted ?? 0;
        job.onProgress?.({ records: summary.records + rows.length, stream });
      }
      summary.records += batch.length;
      stream.ack(batch.map((record) => record.position));
      summary.acked += batch.length;
      summary.position = bytesText(position);
    },
    () => summary.records,
  );
  summary.stoppedBy = reader.stoppedBy;
  summary.tables = tables.names;
  await source.teardown();
}

/** Sets up a Conduit destination; returns its ack tracker and how to stop it. */
async function openDestination(
  job: PipelineJob,
  to: Extract<PipelineTo, { kind: "conduit" }>,
  summary: PipelineSummary,
) {
  const destination = to.handle.destination();
  await prepare(job, "destination", to.config, destination, summary);
  await job.state.saveState(
    stateKey(job.name, "destination"),
    JSON.stringify({ config: to.config } satisfies SavedConnector),
    0,
  );
  await destination.open();
  const stream = destination.run();
  const tracker = new AckTracker(stream, to.handle.name);
  return {
    tracker,
    async finish(lastPosition: Buffer | undefined) {
      if (lastPosition) await destination.stop(lastPosition);
      await tracker.settled();
      stream.close();
      await destination.teardown();
    },
  };
}

/** Conduit source → Conduit destination: records passed through; the source's position saved and acked once the destination acks. */
async function conduitToConduit(
  job: PipelineJob,
  from: Extract<PipelineFrom, { kind: "conduit" }>,
  to: Extract<PipelineTo, { kind: "conduit" }>,
  summary: PipelineSummary,
): Promise<void> {
  const source = from.handle.source();
  const saved = await prepare(job, "source", from.config, source, summary);
  const destination = await openDestination(job, to, summary);
  await openSource(job, source, saved);
  const stream = source.run();
  const reader = new SourceReader(stream, () => source.stop(), job);
  let last: Buffer | undefined;
  await reader.each(
    async (batch) => {
      summary.records += batch.length;
      await destination.tracker.send(batch);
      await destination.tracker.settled();
      last = batch[batch.length - 1].position;
      await job.state.saveState(
        stateKey(job.name, "source"),
        JSON.stringify({ config: from.config, position: last.toString("base64") } satisfies SavedConnector),
        0,
      );
      stream.ack(batch.map((record) => record.position));
      summary.acked += batch.length;
      summary.position = bytesText(last);
      job.onProgress?.({ records: summary.records, stream: "records" });
    },
    () => summary.records,
  );
  summary.stoppedBy = reader.stoppedBy;
  await destination.finish(last);
  await source.teardown();
}

/** A Sluice source → Conduit destination: each page sent as records; its checkpoint saved once the destination acked them all. */
async function sluiceToConduit(
  job: PipelineJob,
  from: Extract<PipelineFrom, { kind: "sluice" }>,
  to: Extract<PipelineTo, { kind: "conduit" }>,
  summary: PipelineSummary,
): Promise<void> {
  const { driver } = from;
  const check = await driver.check(from.options);
  if (!check.ok) throw new SluiceError("OPTIONS_INVALID", `source "${from.name}": ${check.errors.join("; ")}`);
  const streams = await driver.discover(from.options);
  const keys = new Map(streams.map((s) => [s.name, s.primaryKey]));
  const destination = await openDestination(job, to, summary);
  const key = stateKey(job.name, "source");
  const saved = await loadSaved(job.state, key);
  let pages = 0;
  let last: Buffer | undefined;
  const save = async (state: string): Promise<void> => {
    await destination.tracker.settled();
    await job.state.saveState(key, JSON.stringify({ config: {}, state } satisfies SavedConnector), 0);
  };
  const writePage = async (incoming: RecordPage): Promise<void> => {
    job.signal?.throwIfAborted();
    if (incoming.rows.length) {
      pages++;
      const records = incoming.rows.map((row, index) =>
        rowToRecord(row, incoming.stream, keys.get(incoming.stream) ?? [], Buffer.from(`${pages}:${index}`)),
      );
      await destination.tracker.send(records);
      last = records[records.length - 1].position;
      summary.records += records.length;
      job.onProgress?.({ records: summary.records, stream: incoming.stream });
    }
    if (incoming.checkpoint !== undefined) await save(incoming.checkpoint);
  };
  await driver.read(
    {
      options: from.options,
      state: saved?.state ?? "",
      streams: streams.map((s) => ({
        name: s.name,
        syncMode: s.syncModes.includes("incremental") ? "incremental" : "full_refresh",
      })),
    },
    { page: writePage, checkpoint: save },
  );
  await destination.finish(last);
  summary.acked = destination.tracker.acked;
}

export async function runPipeline(job: PipelineJob): Promise<PipelineSummary> {
  const summary = started(job);
  const startedAt = performance.now();
  const protocol = job.from.kind === "conduit" ? "conduit" : job.from.driver.protocol;
  const syncId = await job.state.beginSync(job.name, `pipeline:${protocol}`);
  try {
    const { from, to } = job;
    await validateConfigs(job);
    if (from.kind === "conduit" && to.kind === "store")
      await conduitToStore(job, from, to.store, to.tablePrefix ?? defaultTablePrefix(job.name), summary, syncId);
    else if (from.kind === "conduit" && to.kind === "conduit") await conduitToConduit(job, from, to, summary);
    else if (from.kind === "sluice" && to.kind === "conduit") await sluiceToConduit(job, from, to, summary);
    else throw new UsageError("a Sluice source into the store is a sync: use `sluice sync`");
    await job.state.finishSync(syncId, {
      status: "succeeded",
      inserted: summary.records,
      updated: 0,
      unchanged: 0,
      pages: 0,
      message: `stopped by ${summary.stoppedBy}`,
    });
    return finished(summary, startedAt);
  } catch (error) {
    await job.state
      .finishSync(syncId, {
        status: "failed",
        inserted: summary.acked,
        updated: 0,
        unchanged: 0,
        pages: 0,
        error: messageOf(error),
      })
      .catch(() => {});
    throw new PipelineError(
      job.name,
      `${messageOf(error)}${summary.acked ? `\n${summary.acked} record(s) acked before the failure are kept, and the position after them.` : ""}`,
      error,
    );
  }
}

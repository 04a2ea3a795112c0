/**
 * Pipelines with Conduit's delivery guarantees: a source (a Conduit
 * connector, or any Sluice source driver) into a destination (the store, or
 * a Conduit connector), on the engine's one path (transfer.ts). A source's
 * position is saved only once every record up to it is durable at the
 * destination — in the same transaction as the records for the store, after
 * the destination's acks for a connector — so a restarted pipeline resumes
 * without loss. Conduit sources never end by themselves: a pipeline stops on
 * --max-records, --idle-stop or Ctrl-C, with Stop, a drain to the last
 * position, and Teardown.
 */
import {
  type ConduitConfig,
  type ConduitConnectorHandle,
  ConduitDestinationDriver,
  ConduitSourceDriver,
  type ConnectorSide,
  type LifecycleOutcome,
  type SchemaDecoder,
} from "../drivers/conduit/index.js";
import type { SourceDriver, StopReason } from "../drivers/types.js";
import { codeOf, messageOf, SluiceError } from "../errors.js";
import type { Logger } from "../logging.js";
import type { Store } from "../stores/types.js";
import { ConnectorDestination } from "./connector-destination.js";
import type { Destination } from "./destination.js";
import { PipelineStateStore } from "./pipeline-state.js";
import { prepareSource } from "./prepare.js";
import type { SecretBox } from "./secret-box.js";
import { StoreDestination } from "./store-destination.js";
import { defaultTablePrefix } from "./tables.js";
import { transfer } from "./transfer.js";

export type PipelineFrom =
  | { kind: "conduit"; handle: ConduitConnectorHandle; config: ConduitConfig }
  | { kind: "driver"; name: string; driver: SourceDriver; options: string };
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
  /** Seals the connectors' configs in the saved state (see pipeline-state.ts). */
  secrets: SecretBox;
  maxRecords?: number;
  /** Stop once no record has arrived for this long. */
  idleStopMs?: number;
  /** Aborting stops the pipeline: a Conduit source gracefully (Stop, drain, Teardown); any other source is cancelled. */
  signal?: AbortSignal;
  /** How long that stop may take before the pipeline fails instead (a connector that stopped answering); default 30 s. */
  stopTimeoutMs?: number;
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
  lifecycle: Partial<Record<ConnectorSide, LifecycleOutcome>>;
  stoppedBy: StopReason;
  tables?: Record<string, string>;
}

export class PipelineError extends SluiceError {
  constructor(name: string, problem: string, cause?: unknown) {
    super(codeOf(cause, "PIPELINE_FAILED"), `pipeline "${name}" failed: ${problem}`, { cause });
  }
}

const stateKey = (pipeline: string, side: ConnectorSide) => `pipeline:${pipeline}:${side}`;

function sourceOf(job: PipelineJob): { name: string; driver: SourceDriver; options: string } {
  const { from } = job;
  if (from.kind === "driver") return from;
  return {
    name: from.handle.name,
    driver: new ConduitSourceDriver(from.handle, { logger: job.logger, schemas: job.schemas }),
    options: JSON.stringify(from.config),
  };
}

/**
 * The job with its state kept as pipeline-state.ts says: configs sealed, and
 * with a Conduit source (acked once a checkpoint commits) every checkpoint durable.
 */
function withKeptState(job: PipelineJob): PipelineJob {
  const options = { secrets: job.secrets, durable: job.from.kind === "conduit", logger: job.logger };
  const state = new PipelineStateStore(job.state, options);
  const to: PipelineTo =
    job.to.kind !== "store"
      ? job.to
      : { ...job.to, store: job.to.store === job.state ? state : new PipelineStateStore(job.to.store, options) };
  return { ...job, state, to };
}

function destinationOf(job: PipelineJob): Destination {
  const { to } = job;
  if (to.kind === "store")
    return new StoreDestination(
      to.store,
      job.name,
      to.tablePrefix ?? defaultTablePrefix(job.name),
      stateKey(job.name, "source"),
    );
  return new ConnectorDestination(
    new ConduitDestinationDriver(to.handle, to.config, job.logger),
    job.state,
    stateKey(job.name, "source"),
    stateKey(job.name, "destination"),
  );
}

const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/**
 * A signal that aborts `limitMs` after `signal` does: no wait on a connector
 * that stopped answering (its acks, its Stop, its last records) outlives
 * Ctrl-C by more. Positions are saved as records are acked, so what was
 * saved stays true.
 */
function afterStopTimeout(signal: AbortSignal | undefined, limitMs: number): AbortSignal | undefined {
  if (!signal) return undefined;
  const controller = new AbortController();
  const start = () => {
    const timer = setTimeout(
      () =>
        controller.abort(
          new SluiceError(
            "PIPELINE_STOP_TIMEOUT",
            `did not stop within ${limitMs / 1000} s of being asked to (--stop-timeout): a connector stopped answering`,
          ),
        ),
      limitMs,
    );
    timer.unref();
  };
  if (signal.aborted) start();
  else signal.addEventListener("abort", start, { once: true });
  return controller.signal;
}

export async function runPipeline(given: PipelineJob): Promise<PipelineSummary> {
  const job = withKeptState(given);
  const startedAt = performance.now();
  const source = sourceOf(job);
  const destination = destinationOf(job);
  const endless = source.driver instanceof ConduitSourceDriver;
  let received = 0;
  let failure: { error: unknown; reason: string };
  try {
    const prepared = await prepareSource({ connector: source.name, driver: source.driver, options: source.options });
    // Both ends' configs are checked before either connector is configured or opened.
    if (destination instanceof ConnectorDestination) await destination.driver.check();
    const result = await transfer({
      connector: job.name,
      label: `pipeline:${source.driver.protocol}`,
      stateKey: stateKey(job.name, "source"),
      driver: source.driver,
      source: prepared,
      destination,
      ledger: job.state,
      stop: { maxRecords: job.maxRecords, idleMs: job.idleStopMs, signal: job.signal },
      // A Conduit source stops gracefully on the signal, and is cancelled only if that stop outlasts the stop
      // timeout (a connector that stopped answering); any other is cancelled by it at once.
      signal: endless ? afterStopTimeout(job.signal, job.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS) : job.signal,
      onEvent: (event) => {
        if (event.type !== "page") return;
        received += event.records;
        job.onProgress?.({ records: received, stream: event.stream });
      },
    });
    if (result.ok) {
      const records = result.progress.received;
      return {
        ...summarize(job, source.driver, destination, records, result.progress.totals.deleted ?? 0),
        stoppedBy: result.outcome.stoppedBy ?? "source-ended",
        ...rate(records, performance.now() - startedAt),
      };
    }
    failure = result;
  } catch (error) {
    failure = { error, reason: messageOf(error) };
  }
  const kept = destination.acked
    ? `\n${destination.acked} record(s) acked before the failure are kept, and the position after them.`
    : "";
  throw new PipelineError(job.name, `${failure.reason}${kept}`, failure.error);
}

function rate(records: number, durationMs: number): { durationMs: number; recordsPerSecond: number } {
  return { durationMs, recordsPerSecond: durationMs > 0 ? Math.round((records / durationMs) * 1000) : 0 };
}

function summarize(
  job: PipelineJob,
  driver: SourceDriver,
  destination: Destination,
  records: number,
  deleted: number,
): Omit<PipelineSummary, "stoppedBy" | "durationMs" | "recordsPerSecond"> {
  const lifecycle: PipelineSummary["lifecycle"] = {};
  if (driver instanceof ConduitSourceDriver && driver.lifecycle) lifecycle.source = driver.lifecycle;
  if (destination instanceof ConnectorDestination && destination.driver instanceof ConduitDestinationDriver)
    lifecycle.destination = destination.driver.lifecycle;
  const tables =
    destination instanceof StoreDestination
      ? Object.fromEntries(destination.opened().map((stream) => [stream, destination.tableOf(stream)]))
      : undefined;
  return {
    name: job.name,
    records,
    acked: destination.acked,
    deleted,
    position: driver instanceof ConduitSourceDriver ? driver.position : undefined,
    lifecycle,
    tables,
  };
}

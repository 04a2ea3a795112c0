/**
 * The one small interface every kind of connector is adapted to. The engine
 * only ever talks to a SourceDriver; each folder here adapts one protocol.
 */
import type { Row } from "../protocol/rows.js";
import type { SyncMode } from "../protocol/sync-mode.js";

export type { Row };

export interface SourceSpec {
  name: string;
  version: string;
  description: string;
  /** JSON Schema of the options when they are JSON; undefined = free-form string. */
  optionsSchema?: object;
}

export interface CheckResult {
  ok: boolean;
  errors: string[];
}

export type { SyncMode };

export interface StreamDescriptor {
  name: string;
  /** JSON Schema of one record; its top-level properties are the table's columns. */
  jsonSchema: { properties?: Record<string, { type?: string | string[]; format?: string }> } & object;
  /** Fields that identify a record; empty = append only. */
  primaryKey: string[];
  cursorField?: string;
  syncModes: SyncMode[];
  /** For connectors with many possible streams (one per record type): no table until a record arrives. */
  createTableOnFirstRecord?: boolean;
  /** Full refresh with overwrite: the table holds exactly this sync's records once it succeeds. */
  replaceOnSuccess?: boolean;
}

export interface SourceReadRequest {
  options: string;
  streams: { name: string; syncMode: SyncMode }[];
  /** JSON text of the last checkpointed state, "" on a first run. */
  state: string;
  /** When a source that never ends by itself (a Conduit source) stops; other sources end on their own. */
  stop?: StopConditions;
}

/** A graceful stop of an endless source: it stops reading, delivers what it has, and ends well. */
export interface StopConditions {
  maxRecords?: number;
  /** Stop once no record has arrived for this long. */
  idleMs?: number;
  /** Aborting stops the source (Ctrl-C on a pipeline). */
  signal?: AbortSignal;
}

export type StopReason = "max-records" | "idle" | "signal" | "source-ended";

/** A batch of records of one stream, and the state to save with them (in the same transaction, for a store). */
export interface RecordPage {
  stream: string;
  rows: Row[];
  checkpoint?: string;
  estimatedTotal?: number;
}

/**
 * Where a read delivers, in order; a read waits for each call to resolve
 * (backpressure). State that comes with records rides on their page; state
 * on its own is a checkpoint.
 */
export interface PageSink {
  /** Writes one page; resolves once it is durable (or, for a pass-through destination, sent). */
  page(page: RecordPage): Promise<void>;
  /** Saves `state`; every page before it is durable first. */
  checkpoint(state: string): Promise<void>;
  /**
   * A hint, never required: `page` is the next one `page()` will get, so the sink may prepare it while
   * the current write runs. Whatever it prepares, `page()` behaves as if it had not been told.
   */
  upcoming?(page: RecordPage): void;
}

export interface ReadOutcome {
  /** What the connector said when it finished, if anything (c1-core's EndSync). */
  message?: string;
  /** Why the read ended, for sources that stop on StopConditions. */
  stoppedBy?: StopReason;
}

export interface SourceDriver {
  /** The protocol this driver speaks, e.g. "sluice" or "c1". */
  readonly protocol: string;
  /**
   * How Sluice reaches a go-plugin connector ("grpc", or "grpc+mtls" once AutoMTLS was answered with a
   * certificate): in the summary, so a silent fall back to plain text can be seen (and tested).
   */
  readonly transport?: string;
  /**
   * Each call runs a process of its own (an Airbyte source's spec, check and discover), so check and
   * discover may run side by side: one connector start less to wait for.
   */
  readonly concurrentCalls?: boolean;
  spec(): Promise<SourceSpec>;
  check(options: string): Promise<CheckResult>;
  discover(options: string): Promise<StreamDescriptor[]>;
  read(request: SourceReadRequest, sink: PageSink): Promise<ReadOutcome>;
  /** A stream known only once its first record arrives (a Conduit collection): how it lands. */
  streamOf?(name: string): StreamDescriptor | undefined;
  /** Stops the connector (gracefully, then by force). */
  close(): Promise<void>;
}

/**
 * A connector records are written to (a Conduit destination): pages go out as
 * they come, and `settled()` resolves once the destination has acknowledged
 * every record sent so far, the moment state may be saved.
 */
export interface DestinationDriver {
  readonly protocol: string;
  readonly name: string;
  /** Refuses a config the connector's specification rejects, before anything opens. */
  check(): Promise<void>;
  /** Configures and opens the destination; `saved` is what `open` returned on the last run, to tell what changed. */
  open(saved: string | undefined): Promise<string>;
  /** Sends one page (`stream` says how it is keyed); resolves when the destination can take more. */
  write(page: RecordPage, stream: StreamDescriptor | undefined): Promise<void>;
  settled(): Promise<void>;
  /** Records the destination acknowledged. */
  readonly acked: number;
  /** The read ended well: stop after the last record, wait for its acks, tear down. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

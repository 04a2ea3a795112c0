/**
 * What a pipeline needs of a Conduit connector, whether it runs as a
 * standalone process over gRPC (standalone.ts) or in-process (builtin.ts).
 */
import type { DestinationAck } from "../../sdk/conduit/runners.js";
import type { Specification } from "../../protocol/gen/connector/v2/specifier.js";
import type { OpenCdcRecord } from "./opencdc.js";
import type { ConduitConfig } from "./specification.js";

export type LifecycleChange =
  | { kind: "created"; config: ConduitConfig }
  | { kind: "updated"; before: ConduitConfig; after: ConduitConfig };

export interface SourceStream {
  /** The next batch of records; undefined when the stream has ended. */
  next(): Promise<OpenCdcRecord[] | undefined>;
  ack(positions: Buffer[]): void;
  close(): void;
}

export interface SourceEndpoint {
  configure(config: ConduitConfig): Promise<void>;
  lifecycle(change: LifecycleChange): Promise<void>;
  open(position: Buffer): Promise<void>;
  run(): SourceStream;
  /** Returns the position of the last record the source will send. */
  stop(): Promise<Buffer>;
  teardown(): Promise<void>;
}

export type { DestinationAck };

export interface DestinationStream {
  /** Resolves when the destination can take more (backpressure). */
  send(records: OpenCdcRecord[]): Promise<void>;
  /** The next acks; undefined when the stream has ended. */
  nextAcks(): Promise<DestinationAck[] | undefined>;
  close(): void;
}

export interface DestinationEndpoint {
  configure(config: ConduitConfig): Promise<void>;
  lifecycle(change: LifecycleChange): Promise<void>;
  open(): Promise<void>;
  run(): DestinationStream;
  stop(lastPosition: Buffer): Promise<void>;
  teardown(): Promise<void>;
}

export interface ConduitConnectorHandle {
  readonly name: string;
  /** "standalone" or "builtin". */
  readonly mode: string;
  specify(): Promise<Specification>;
  source(): SourceEndpoint;
  destination(): DestinationEndpoint;
  close(): Promise<void>;
}

/**
 * What a Conduit connector written in TypeScript implements, modelled on
 * Conduit's Go SDK: a specification, and a source and/or a destination. The
 * protocol (gRPC services, streams, acks, stop) stays behind serve.ts and
 * runners.ts.
 */
import type { Record as OpenCdcRecord } from "../../protocol/gen/opencdc/v1/opencdc.js";

export type { OpenCdcRecord };
export type ConduitConfig = Record<string, string>;

export type ParameterType = "string" | "int" | "float" | "bool" | "file" | "duration";
export type ValidationType = "required" | "greater-than" | "less-than" | "inclusion" | "exclusion" | "regex";

export interface ParameterSpec {
  type?: ParameterType;
  default?: string;
  description?: string;
  validations?: { type: ValidationType; value?: string }[];
}

export interface ConduitSpecification {
  name: string;
  /** semver with a "v" prefix, e.g. v1.0.0 */
  version: string;
  summary?: string;
  description?: string;
  author?: string;
  sourceParams?: Record<string, ParameterSpec>;
  destinationParams?: Record<string, ParameterSpec>;
}

export interface Lifecycle {
  lifecycleOnCreated?(config: ConduitConfig): Promise<void>;
  lifecycleOnUpdated?(before: ConduitConfig, after: ConduitConfig): Promise<void>;
  lifecycleOnDeleted?(config: ConduitConfig): Promise<void>;
}

export interface ConduitSource extends Lifecycle {
  configure(config: ConduitConfig): Promise<void>;
  /** Start reading after `position` (empty on a first run). */
  open(position: Buffer): Promise<void>;
  /** The next records; may wait for data; should return (maybe []) soon after `signal` aborts. */
  read(signal: AbortSignal): Promise<OpenCdcRecord[]>;
  /** The host has made the record at `position` durable (acks come in read order). */
  ack(position: Buffer): Promise<void>;
  teardown(): Promise<void>;
}

export interface ConduitDestination extends Lifecycle {
  configure(config: ConduitConfig): Promise<void>;
  open(): Promise<void>;
  /** Writes records; returns one entry per record: undefined when written, else why not. */
  write(records: OpenCdcRecord[]): Promise<(string | undefined)[]>;
  teardown(): Promise<void>;
}

export interface ConduitConnector {
  specification: ConduitSpecification;
  source?: () => ConduitSource;
  destination?: () => ConduitDestination;
}

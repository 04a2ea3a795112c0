/** The client shapes of codeclimate-connector-sdk's Client.ts, unchanged. */
import type { Logger } from "./logger.js";
import type { RecordProducer } from "./record-producer.js";
import type { StateManager } from "./state.js";
import type { Stream } from "./stream.js";

/** The connector's configuration: the top-level keys of its config JSON. */
// `any` is upstream's public type: connectors read values of any shape from it.
export type ClientConfiguration = Map<string, any>;

export interface VerifyConfigurationResult {
  isValid: boolean;
  errorMessages?: string[];
}

export interface ClientInterface {
  verifyConfiguration(): Promise<VerifyConfigurationResult>;
  /** Produces `Stream` records through the record producer. */
  discoverStreams(): Promise<void>;
  syncStream(stream: Stream, earliestDataCutoff: Date): Promise<void>;
  syncEntity?(stream: Stream, entity: object): Promise<void>;
}

export abstract class AbstractClient {
  constructor(
    public configuration: ClientConfiguration,
    public recordProducer: RecordProducer,
    public stateManager: StateManager,
    public logger: Logger,
  ) {}
}

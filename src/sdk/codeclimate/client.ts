/** The client shapes of codeclimate-connector-sdk's Client.ts, unchanged. */
import type { Logger } from "./logger.js";
import type { RecordProducer } from "./record-producer.js";
import type { StateManager } from "./state.js";
import type { Stream } from "./stream.js";

/** The connector's configuration: the top-level keys of its config JSON. */
// `any` is upstream's public type: connectors read values of any shape from it.
// biome-ignore lint/suspicious/noExplicitAny: upstream's public type
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

export interface AbstractClient {
  configuration: ClientConfiguration;
  recordProducer: RecordProducer;
  stateManager: StateManager;
  logger: Logger;
}

type AbstractClientConstructor = abstract new (
  configuration: ClientConfiguration,
  recordProducer: RecordProducer,
  stateManager: StateManager,
  logger: Logger,
) => AbstractClient;

/**
 * A plain constructor function, not a class: published connectors are
 * compiled to ES5, whose subclasses call `_super.call(this, …)`, and an ES2015
 * class throws when called without `new`. `class Client extends AbstractClient`
 * works with it all the same.
 */
function AbstractClientFunction(
  this: AbstractClient,
  configuration: ClientConfiguration,
  recordProducer: RecordProducer,
  stateManager: StateManager,
  logger: Logger,
): void {
  this.configuration = configuration;
  this.recordProducer = recordProducer;
  this.stateManager = stateManager;
  this.logger = logger;
}

export const AbstractClient = AbstractClientFunction as unknown as AbstractClientConstructor;

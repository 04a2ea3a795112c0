/** The public surface of codeclimate-connector-sdk, as Sluice provides it. */
export {
  AbstractClient,
  type ClientConfiguration,
  type ClientInterface,
  type VerifyConfigurationResult,
} from "./client.js";
export { Logger, type LoggerConfig, type LoggerIO, LoggerLevel } from "./logger.js";
export {
  InvalidRecordError,
  type RecordEnvelope,
  type RecordProducer,
  RecordProducerFacade,
} from "./record-producer.js";
export { RecordValidator } from "./record-validator.js";
export type { State, StateManager } from "./state.js";
export { Stream, type StreamRecord } from "./stream.js";

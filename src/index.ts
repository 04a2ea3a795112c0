/**
 * Sluice as a library (`import … from "sluice"`): the public surface, kept
 * small on purpose; docs/api.md says what each part is for. Everything else
 * under src/ is internal and may change. Connector authors import the SDKs
 * instead: "sluice/sdk" (native and c1-core), "sluice/conduit",
 * "sluice/codeclimate".
 */

// Running: a source into the store, or a pipeline into the store or a connector.
export { type SyncEvent, SyncError, type SyncJob, type SyncSummary, runSync } from "./engine/sync.js";
export {
  type PipelineFrom,
  type PipelineJob,
  PipelineError,
  type PipelineSummary,
  type PipelineTo,
  runPipeline,
} from "./engine/pipeline.js";

// Opening any connector, and preparing it (spec, options, check, discover, streams).
export { type OpenedSource, type OpenSourceOptions, openSource, type SourceReference } from "./engine/open-source.js";
export { detectProtocol } from "./drivers/open.js";
export { CONNECTOR_PROTOCOLS, type ConnectorProtocol } from "./drivers/protocols.js";
export { type CheckedSource, checkSource, type PreparedSource, prepareSource } from "./engine/prepare.js";

// The driver interface every kind of connector is adapted to.
export type {
  CheckResult,
  DestinationDriver,
  PageSink,
  ReadOutcome,
  RecordPage,
  Row,
  SourceDriver,
  SourceReadRequest,
  SourceSpec,
  StopConditions,
  StreamDescriptor,
  SyncMode,
} from "./drivers/types.js";

// The store interface, and SQLite, the default store.
export type { Store, SyncLogEntry, TableSpec, TableWriter, WriteCounts } from "./stores/types.js";
export { SqliteStore } from "./stores/sqlite/store.js";

// Errors: every one a SluiceError with a code from the registry (docs/errors.md).
export { ConnectorProtocolError, ERROR_CODES, type ErrorCode, SluiceError, UsageError } from "./errors.js";
export { OptionsError } from "./engine/options.js";

// go-plugin, both halves: host any plugin, or serve one.
export {
  type HandshakeConfig,
  type LaunchCommand,
  PluginClient,
  type PluginClientOptions,
  PluginError,
  type ServedPlugin,
  type ServePluginOptions,
  servePlugin,
} from "./plugin/index.js";
export { C1_HANDSHAKE, CONDUIT_HANDSHAKE, SLUICE_HANDSHAKE } from "./protocol/handshakes.js";

/**
 * src/engine — moves pages from a source to a destination: preparing a source
 * (spec, options, check, discover, streams), opening any connector, syncs and
 * pipelines on one path (transfer.ts), state checkpoints, the sync log,
 * cancellation, progress events. Renders nothing.
 *
 * This index is the engine's face inside the repository (the CLI, the server,
 * the worker, the test kit); the package's public API is src/index.ts.
 *
 * May import: src/drivers, src/stores, src/registry (installed connectors),
 * src/process (this process's identity, as the owner of its syncs), src/errors.ts, src/logging.ts,
 * src/async.ts.
 */
export { detectProtocol, type DriverSettings, openConnector, PROTOCOLS, type ProtocolChoice } from "../drivers/open.js";
export {
  CONNECTOR_PROTOCOLS,
  type ConnectorProtocol,
  SOURCE_PROTOCOLS,
  type SourceProtocolChoice,
} from "../drivers/protocols.js";
export {
  lookupInstalled,
  nameFromCommand,
  type OpenedSource,
  type OpenSourceOptions,
  openSource,
  type SourceReference,
} from "./open-source.js";
export { SingerDriver, type SingerSettings } from "../drivers/singer/index.js";
export { AirbyteDriver, type AirbyteSettings, type AirbyteSource, defaultCatalog } from "../drivers/airbyte/index.js";
export {
  CodeClimateDriver,
  type CodeClimateRead,
  type CodeClimateSettings,
  DEFAULT_LIMITS,
  formatBytes,
  LimitExceededError,
  type LocatedConnector,
  locateConnector,
  parseConfiguration,
  type ResourceLimits,
  sdkPackageFolder,
} from "../drivers/codeclimate/index.js";
export {
  BuiltinConnector,
  type ConduitConfig,
  type ConduitConnectorHandle,
  ConnectorUtilities,
  describeSpecification,
  SchemaDecoder,
  type Specification,
  StandaloneConnector,
} from "../drivers/conduit/index.js";
export type { ConduitConnector } from "../sdk/conduit/index.js";
export { type PipelineFrom, type PipelineJob, type PipelineSummary, type PipelineTo, runPipeline } from "./pipeline.js";
export { type QlikClientTls, QlikDriver } from "../drivers/qlik/driver.js";
export type { SourceDriver, StreamDescriptor } from "../drivers/types.js";
export { SqliteStore } from "../stores/sqlite/store.js";
export { openStore, type OpenStoreOptions } from "../stores/open.js";
export { isStoreLocation, parseStoreLocation } from "../stores/location.js";
export { openStoreReader, SelectRefusedError, type StoreReader } from "../stores/reader.js";
export type { Store, SyncLogEntry } from "../stores/types.js";
export { SILENT_LIMIT_SECONDS } from "../stores/base.js";
export { OptionsError, validateOptions } from "./options.js";
export {
  type CheckedSource,
  checkSource,
  type PreparedSource,
  prepareSource,
  StreamSelectionError,
} from "./prepare.js";
export { SecretBox } from "./secret-box.js";
export { THIS_PROCESS } from "./sync-owner.js";
export { stderrTailOf, syncIdOf } from "./failure.js";
export { type ConnectionSyncJob, type ConnectionSyncProgress, runConnectionSync } from "./connection-sync.js";
export {
  CONDUIT_IDLE_STOP_SECONDS,
  runSync,
  type SyncEvent,
  type SyncJob,
  type SyncSummary,
  SyncError,
  syncStopFor,
} from "./sync.js";

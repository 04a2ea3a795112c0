/**
 * src/engine — moves pages from a source to a destination: preparing a source
 * (spec, options, check, discover, streams), opening any connector, syncs and
 * pipelines on one path (transfer.ts), state checkpoints, the sync log,
 * cancellation, progress events. Renders nothing.
 *
 * This index is the engine's face inside the repository (the CLI, the server,
 * the worker, the test kit); the package's public API is src/index.ts. It stays
 * light: what loads a protocol's code (gRPC, protobuf, Avro) is in drivers.ts,
 * loaded on demand, or loads when a connector speaking it opens.
 *
 * May import: src/drivers, src/stores, src/registry (installed connectors),
 * src/process (this process's identity, as the owner of its syncs), src/errors.ts, src/logging.ts,
 * src/async.ts, src/json.ts, src/json-schema.ts.
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
  parseConfiguration,
} from "../drivers/codeclimate/driver.js";
export { DEFAULT_LIMITS, formatBytes, LimitExceededError, type ResourceLimits } from "../drivers/codeclimate/limits.js";
export { type LocatedConnector, locateConnector, sdkPackageFolder } from "../drivers/codeclimate/locate.js";
export type {
  ConduitConfig,
  ConduitConnectorHandle,
  ConnectorUtilities,
  Specification,
} from "../drivers/conduit/index.js";
export type { ConduitConnector } from "../sdk/conduit/index.js";
export type { PipelineFrom, PipelineJob, PipelineSummary, PipelineTo } from "./pipeline.js";
export type { QlikClientTls } from "../drivers/qlik/driver.js";
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

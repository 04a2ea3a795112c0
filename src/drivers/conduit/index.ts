/**
 * src/drivers/conduit — Conduit's connector protocol (connector.v2 over
 * go-plugin): standalone connectors as processes (standalone.ts) or TS SDK
 * connectors in-process (builtin.ts) behind one handle (endpoints.ts); the
 * connector utilities the host serves (utilities.ts); specifications and
 * config checks (specification.ts); OpenCDC ↔ rows (opencdc.ts).
 *
 * May import: src/plugin, src/protocol, src/sdk/conduit (built-in mode runs
 * SDK connectors), src/errors.ts, src/logging.ts.
 */
export { BuiltinConnector } from "./builtin.js";
export { ConduitDestinationDriver } from "./destination-driver.js";
export {
  ConduitSourceDriver,
  type ConduitSourceSettings,
  type LifecycleOutcome,
  parseConduitConfig,
} from "./source-driver.js";
export type {
  ConduitConnectorHandle,
  DestinationAck,
  DestinationEndpoint,
  DestinationStream,
  LifecycleChange,
  SourceEndpoint,
  SourceStream,
} from "./endpoints.js";
export { bytesText, DEFAULT_STREAM, KEY_COLUMN, type OpenCdcRecord, recordToChange, rowToRecord } from "./opencdc.js";
export {
  checkConfig,
  type ConduitConfig,
  ConfigError,
  type ConnectorSide,
  describeSpecification,
  type Specification,
} from "./specification.js";
export { SchemaDecoder } from "./schemas.js";
export { StandaloneConnector, type StandaloneOptions } from "./standalone.js";
export { ConnectorUtilities } from "./utilities.js";

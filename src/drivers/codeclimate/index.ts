/**
 * src/drivers/codeclimate — Code Climate connectors (npm packages exporting a
 * `Client`) as a SourceDriver, each call in a child process under enforced
 * limits. The SDK the connectors import lives in src/sdk/codeclimate.
 *
 * Files: driver.ts (the SourceDriver, limits watched from the host),
 * runner.ts (inside the connector's process), aliases.ts (module name →
 * Sluice's SDK), channel.ts + messages.ts (fd 3 between them), limits.ts,
 * locate.ts (slug or path → package), records.ts (record types → streams).
 *
 * May import: src/sdk/codeclimate, src/plugin/hclog.ts, src/errors.ts, src/logging.ts.
 */
export {
  CodeClimateConnectorError,
  CodeClimateDriver,
  type CodeClimateRead,
  type CodeClimateSettings,
  parseConfiguration,
} from "./driver.js";
export { DEFAULT_LIMITS, formatBytes, LimitExceededError, type ResourceLimits } from "./limits.js";
export {
  ConnectorNotFoundError,
  type LocatedConnector,
  locateConnector,
  packageNameOf,
  sdkPackageFolder,
} from "./locate.js";

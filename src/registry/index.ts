/**
 * src/registry — installing connectors from JSON manifests into the
 * installation home ($SLUICE_HOME): see README.md beside this file.
 */
export { ManifestError, NotInstalledError } from "./errors.js";
export { secretKeyFile, sluiceHome } from "./home.js";
export { isAlive } from "./lock.js";
export type { Installation, InstallStatus } from "./install-index.js";
export {
  type LoadedManifest,
  loadManifest,
  type Manifest,
  MANIFEST_SCHEMA_PATH,
  parseManifest,
  SOURCES,
  type Source,
} from "./manifest.js";
export {
  InstallFailedError,
  type InstallationDetails,
  type Outcome,
  type Plan,
  Registry,
  type RunOptions,
  type Runnable,
} from "./registry.js";

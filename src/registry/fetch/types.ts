/** What every source (HTTP, VCS, Local) does for an install or an update. */
import type { UnpackLimits } from "../archive.js";
import type { InstallLog } from "../install-log.js";
import type { Manifest } from "../manifest.js";

export interface FetchContext {
  log: InstallLog;
  signal: AbortSignal;
  limits: UnpackLimits;
}

export interface Fetched {
  /** What `list` shows as the version, when the source itself tells (a download's digest). */
  version?: string;
}

export interface SourceFetcher {
  /** The source steps of an install, as shown before anything runs. */
  planInstall(manifest: Manifest, dir: string): string[];
  /** The source steps of an update; `pull` is false when the manifest's update_command replaces the default. */
  planUpdate(manifest: Manifest, current: string, dir: string, pull: boolean): string[];
  /** Puts a fresh copy of the source into `dir` (which does not exist yet). */
  fetch(manifest: Manifest, dir: string, context: FetchContext): Promise<Fetched>;
  /** Prepares `dir` for an update from the release in use, `current`. */
  fetchUpdate(manifest: Manifest, current: string, dir: string, pull: boolean, context: FetchContext): Promise<Fetched>;
  /** The version after the commands ran (a VCS commit), if the source knows better than `fetched`. */
  versionAfter?(dir: string): Promise<string | undefined>;
}

/**
 * What a sync workflow is given and gives back, shared by the workflow code
 * (bundled for Temporal's sandbox: no Node modules here), the activities, the
 * worker and the clients that start syncs (the server's launcher, tests).
 */

/** The task queue workers poll and syncs are started on, unless told otherwise. */
export const DEFAULT_TASK_QUEUE = "sluice";
export const DEFAULT_NAMESPACE = "default";

/** One running sync per connection: the workflow id is the connection's, and Temporal refuses a second. */
export function syncWorkflowId(connection: string): string {
  return `sync-${connection}`;
}

/** How a sync's activity is retried and timed; every field has a default (see DEFAULT_SYNC_POLICY). */
export interface SyncPolicy {
  /** Attempts in all (1 = never retried; 0 = unlimited). */
  maximumAttempts: number;
  /** Wait before the first retry. */
  initialIntervalSeconds: number;
  /** Each wait is this many times the one before, up to maximumIntervalSeconds. */
  backoffCoefficient: number;
  maximumIntervalSeconds: number;
  /** A worker silent this long is taken for dead and the sync retried elsewhere. */
  heartbeatTimeoutSeconds: number;
  /** The longest one attempt may run (0 = no limit). */
  attemptTimeoutSeconds: number;
}

export const DEFAULT_SYNC_POLICY: SyncPolicy = {
  maximumAttempts: 5,
  initialIntervalSeconds: 5,
  backoffCoefficient: 2,
  maximumIntervalSeconds: 300,
  heartbeatTimeoutSeconds: 60,
  attemptTimeoutSeconds: 0,
};

export interface SyncInput {
  /** The connection: names the workflow (sync-<connection>), its tables, state and sync log entries. */
  connection: string;
  /** The installed connector it runs, by name in the worker's installation home. */
  connector: string;
  /** A manifest (path or URL) to install the connector from on a worker that does not have it yet. */
  manifest?: string;
  /** The connector's options as JSON text (may hold secrets: Sluice never logs them), or sealed (below). */
  options: string;
  /**
   * `options` is sealed with the installation's key (the server's SecretBox), so Temporal's history holds no
   * secret; workers open it with the same key (SLUICE_SECRET_KEY).
   */
  optionsSealed?: boolean;
  streams?: string[];
  tablePrefix?: string;
  /** A postgres:// URL; default: the worker's --db. */
  destination?: string;
  /** Which Sluice run this is, when the server started it (shown in logs). */
  runId?: number;
  policy?: Partial<SyncPolicy>;
}

export interface SyncCounts {
  pages: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

/** What an attempt heartbeats: its progress, so a retry knows where the last one got to. */
export interface SyncHeartbeat extends SyncCounts {
  syncId: number | null;
  estimatedTotal: number | null;
  /** The last checkpoint written with its rows (the connector's state). */
  checkpoint: string | null;
  /** The worker running the attempt (`<pid>@<host>`). */
  worker: string;
  attempt: number;
}

export interface SyncResult extends SyncCounts {
  syncId: number;
  connection: string;
  durationMs: number;
  recordsPerSecond: number;
  /** The attempt that succeeded (1 = no retry). */
  attempt: number;
  worker: string;
}

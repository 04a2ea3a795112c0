/**
 * src/worker — syncs past one machine, on Temporal: the sync workflow
 * (workflows.ts, one per connection, `sync-<connection>`), its activity (a
 * thin shell over the engine's runSync that heartbeats and resumes from the
 * committed state), `sluice worker` (worker.ts), reaching Temporal with TLS
 * and retries (temporal-connection.ts), and starting, watching and cancelling
 * syncs as a client (client.ts, for the server's launcher and schedules).
 * Distributed syncs write to PostgreSQL only (destination.ts).
 *
 * May import: src/engine, src/registry (installing connectors on first use),
 * src/stores (locations), src/server/connections/secret-box.ts (opening the
 * options the server sealed), src/errors.ts, src/logging.ts. No sync logic of its own.
 */
export { createActivities, type SyncActivities, WORKER_IDENTITY } from "./activities.js";
export {
  checkSyncCanStart,
  SyncAlreadyRunningError,
  type SyncHandle,
  startSync,
  SYNC_WORKFLOW_TYPE,
  syncProgress,
  syncWorkflowOptions,
} from "./client.js";
export { DistributedStoreError, requireSharedStore } from "./destination.js";
export {
  connectClient,
  connectWorker,
  TEMPORAL_API_KEY_ENV,
  type TemporalSettings,
  TemporalUnreachableError,
} from "./temporal-connection.js";
export {
  DEFAULT_NAMESPACE,
  DEFAULT_SYNC_POLICY,
  DEFAULT_TASK_QUEUE,
  type SyncCounts,
  type SyncHeartbeat,
  type SyncInput,
  type SyncPolicy,
  type SyncResult,
  syncWorkflowId,
} from "./types.js";
export { runWorker, type WorkerOptions } from "./worker.js";

/**
 * The sync workflow, run in Temporal's deterministic sandbox (bundled when a
 * worker starts; it may import only @temporalio/workflow and types.ts). One
 * activity does the work; the workflow gives it the connection's retry policy
 * and timeouts, and on cancellation waits until the connector has stopped.
 */
import { ActivityCancellationType, proxyActivities } from "@temporalio/workflow";
import type { SyncActivities } from "./activities.js";
import { DEFAULT_SYNC_POLICY, type SyncInput, type SyncResult } from "./types.js";

/** An attempt without a limit of its own still needs one for Temporal: long enough to never matter. */
const UNLIMITED_ATTEMPT = "3650 days";

export async function syncWorkflow(input: SyncInput): Promise<SyncResult> {
  const policy = { ...DEFAULT_SYNC_POLICY, ...input.policy };
  const { syncConnection } = proxyActivities<SyncActivities>({
    startToCloseTimeout: policy.attemptTimeoutSeconds > 0 ? `${policy.attemptTimeoutSeconds}s` : UNLIMITED_ATTEMPT,
    heartbeatTimeout: `${policy.heartbeatTimeoutSeconds}s`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: policy.maximumAttempts,
      initialInterval: `${policy.initialIntervalSeconds}s`,
      maximumInterval: `${policy.maximumIntervalSeconds}s`,
      backoffCoefficient: policy.backoffCoefficient,
    },
  });
  return syncConnection(input);
}

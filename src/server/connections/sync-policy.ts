/**
 * A connection's retry policy and timeouts, for its syncs through Temporal
 * (`sluice server --temporal`): what the user set, checked as a whole (the
 * request schema checks each field), and the worker's SyncPolicy it becomes.
 * Every field is optional; an unset one takes the default (DEFAULT_SYNC_POLICY).
 * The in-process launcher runs a sync once and has no use for them.
 */
import { DEFAULT_SYNC_POLICY, type SyncPolicy } from "../../worker/types.js";
import { ServerError } from "../errors.js";

export interface RetrySettings {
  /** Attempts in all: 1 = never retried, 0 = unlimited. */
  maximumAttempts?: number;
  initialIntervalSeconds?: number;
  /** How much longer each wait is than the one before (1 = always the initial interval). */
  backoffCoefficient?: number;
  maximumIntervalSeconds?: number;
}

export interface TimeoutSettings {
  /** The longest one attempt may run; 0 = no limit. */
  startToCloseSeconds?: number;
  /** A worker silent this long is taken for dead, and the sync retried on another. */
  heartbeatSeconds?: number;
}

/** The worker's policy for these settings (only what was set: the workflow fills in the defaults). */
export function syncPolicyOf(retry: RetrySettings | null, timeouts: TimeoutSettings | null): Partial<SyncPolicy> {
  const policy: Partial<SyncPolicy> = {
    maximumAttempts: retry?.maximumAttempts,
    initialIntervalSeconds: retry?.initialIntervalSeconds,
    backoffCoefficient: retry?.backoffCoefficient,
    maximumIntervalSeconds: retry?.maximumIntervalSeconds,
    attemptTimeoutSeconds: timeouts?.startToCloseSeconds,
    heartbeatTimeoutSeconds: timeouts?.heartbeatSeconds,
  };
  return Object.fromEntries(Object.entries(policy).filter(([, value]) => value !== undefined));
}

/**
 * Refuses settings whose fields are each fine but do not fit together (with
 * the defaults of those unset): Temporal would reject them only when a sync starts.
 */
export function checkSyncPolicy(retry: RetrySettings | null, timeouts: TimeoutSettings | null): void {
  const policy = { ...DEFAULT_SYNC_POLICY, ...syncPolicyOf(retry, timeouts) };
  if (policy.maximumIntervalSeconds < policy.initialIntervalSeconds)
    throw new ServerError(
      "REQUEST_INVALID",
      `retry.maximumIntervalSeconds (${policy.maximumIntervalSeconds}) is shorter than retry.initialIntervalSeconds ` +
        `(${policy.initialIntervalSeconds}); the waits between attempts grow from the initial interval up to the maximum`,
      "retry.maximumIntervalSeconds",
    );
  if (policy.attemptTimeoutSeconds > 0 && policy.heartbeatTimeoutSeconds >= policy.attemptTimeoutSeconds)
    throw new ServerError(
      "REQUEST_INVALID",
      `timeouts.heartbeatSeconds (${policy.heartbeatTimeoutSeconds}) is not shorter than timeouts.startToCloseSeconds ` +
        `(${policy.attemptTimeoutSeconds}): a dead worker would only be noticed once the attempt timed out`,
      "timeouts.heartbeatSeconds",
    );
}

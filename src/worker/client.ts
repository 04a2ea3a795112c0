/**
 * Syncs as a client sees them: start one (refused while the connection's
 * workflow is open: the id policy keeps one sync per connection), read its
 * progress from the activity's last heartbeat, cancel it, wait for its end.
 * Used by the server's Temporal launcher and by tests.
 */
import {
  type Client,
  defaultPayloadConverter,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from "@temporalio/client";
import { SluiceError } from "../errors.js";
import { TemporalUnreachableError } from "./temporal-connection.js";
import { type SyncHeartbeat, type SyncInput, type SyncResult, syncWorkflowId } from "./types.js";
import type { syncWorkflow } from "./workflows.js";

export type SyncHandle = WorkflowHandle<typeof syncWorkflow>;

export const SYNC_WORKFLOW_TYPE = "syncWorkflow";

/** The workflow options of a connection's sync: its id, and a second start refused while one runs. */
export function syncWorkflowOptions(taskQueue: string, input: SyncInput) {
  return {
    taskQueue,
    workflowId: syncWorkflowId(input.connection),
    args: [input] as [SyncInput],
    workflowIdReusePolicy: "ALLOW_DUPLICATE" as const,
    workflowIdConflictPolicy: "FAIL" as const,
  };
}

export async function startSync(client: Client, taskQueue: string, input: SyncInput): Promise<SyncHandle> {
  try {
    return await client.workflow.start<typeof syncWorkflow>(SYNC_WORKFLOW_TYPE, syncWorkflowOptions(taskQueue, input));
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      throw new SyncAlreadyRunningError(input.connection, error);
    throw error;
  }
}

/** The workflow id policy's refusal: the connection's workflow is open (started by its schedule, or elsewhere). */
export class SyncAlreadyRunningError extends SluiceError {
  constructor(connection: string, cause?: unknown) {
    super(
      "SYNC_ALREADY_RUNNING",
      `connection "${connection}" has a sync running already (workflow ${syncWorkflowId(connection)}); ` +
        "a connection runs one sync at a time",
      { cause },
    );
  }
}

/** How long asking Temporal before a start may take: "run now" answers within it, also when Temporal is away. */
const ASK_DEADLINE_MS = 3_000;

/** gRPC's codes for a server that does not answer (connection refused, or no answer in time). */
const UNANSWERED = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/**
 * Whether a sync of `connection` may start now: refused when Temporal (at `address`) does not answer
 * (TemporalUnreachableError) or the connection's workflow is open (SyncAlreadyRunningError), so that a
 * caller records nothing for a start that cannot happen.
 */
export async function checkSyncCanStart(client: Client, address: string, connection: string): Promise<void> {
  const handle = client.workflow.getHandle(syncWorkflowId(connection));
  try {
    const { status } = await client.connection.withDeadline(Date.now() + ASK_DEADLINE_MS, () => handle.describe());
    if (status.name === "RUNNING") throw new SyncAlreadyRunningError(connection);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return;
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (error instanceof ServiceError && typeof code === "number" && UNANSWERED.has(code))
      throw new TemporalUnreachableError(address, error.cause);
    throw error;
  }
}

/** The running attempt's last heartbeat (undefined before the first, or once the sync is over). */
export async function syncProgress(handle: SyncHandle): Promise<SyncHeartbeat | undefined> {
  const description = await handle.describe();
  const payload = description.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<SyncHeartbeat>(payload) : undefined;
}

export type { SyncResult };

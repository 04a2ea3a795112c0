/**
 * Syncs as a client sees them: start one (refused while the connection's
 * workflow is open: the id policy keeps one sync per connection), read its
 * progress from the activity's last heartbeat, cancel it, wait for its end.
 * Used by the server's Temporal launcher and by tests.
 */
import {
  type Client,
  defaultPayloadConverter,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
} from "@temporalio/client";
import { SluiceError } from "../errors.js";
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
      throw new SluiceError(
        "SYNC_ALREADY_RUNNING",
        `connection "${input.connection}" has a sync running already (workflow ${syncWorkflowId(input.connection)}); ` +
          "a connection runs one sync at a time",
        { cause: error },
      );
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

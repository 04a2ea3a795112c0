/**
 * The distributed launcher (`sluice server --temporal`): a run is the
 * workflow sync-<connection> on Temporal, run by any `sluice worker` (which
 * installs the connector on first use from where the server installed it). The
 * options travel sealed with the installation's key (workers share
 * SLUICE_SECRET_KEY), so Temporal's history never holds a secret. Progress
 * comes from the activity's heartbeats, the outcome from the workflow;
 * cancelling the run cancels the workflow, and the worker stops the connector
 * gracefully.
 */
import { CancelledFailure, type Client, TemporalFailure, WorkflowFailedError } from "@temporalio/client";
import { messageOf, SluiceError } from "../../errors.js";
import {
  checkSyncCanStart,
  requireSharedStore,
  type SyncHandle,
  type SyncHeartbeat,
  type SyncInput,
  startSync,
  syncProgress,
  TemporalUnreachableError,
} from "../../worker/index.js";
import { Registry } from "../../registry/index.js";
import type { SecretBox } from "../connections/secret-box.js";
import type { Connection } from "../connections/service.js";
import { syncPolicyOf } from "../connections/sync-policy.js";
import { redactorFor } from "./redact.js";
import type { LaunchCallbacks, LaunchRequest, LogEntry, RunCounts, RunLauncher, RunOutcome } from "./types.js";

const PROGRESS_POLL_MS = 1000;

export class TemporalLauncher implements RunLauncher {
  /** Workflows a connection's Temporal Schedule started: the connection's next launch follows one instead of starting. */
  private readonly adopted = new Map<string, SyncHandle>();

  constructor(
    private readonly client: Client,
    /** Temporal's host:port, for messages. */
    private readonly address: string,
    readonly taskQueue: string,
    private readonly box: SecretBox,
    /** The server's installation home: where a connection's connector was installed from is read there. */
    private readonly home: string,
  ) {}

  /** What a connection's syncs start with (also its Temporal Schedule's action): the options sealed. */
  inputFor(connection: Connection, options: string, destination: string, runId?: number): SyncInput {
    requireSharedStore(destination, `connection "${connection.name}" writes to its destination, which`);
    return {
      connection: connection.name,
      connector: connection.connector,
      options: this.box.encrypt(options),
      optionsSealed: true,
      manifest: this.manifestOf(connection.connector),
      streams: connection.streams ?? undefined,
      tablePrefix: connection.tablePrefix ?? undefined,
      destination,
      policy: syncPolicyOf(connection.retry, connection.timeouts),
      ...(runId !== undefined && { runId }),
    };
  }

  /** Where the server installed the connector from: a worker without it installs it from there on first use. */
  private manifestOf(connector: string): string | undefined {
    const registry = Registry.open(this.home);
    try {
      const { origin } = registry.get(connector);
      return origin === "stdin" ? undefined : origin;
    } catch {
      return undefined;
    } finally {
      registry.close();
    }
  }

  /** A run now needs Temporal to answer and the connection's workflow to be closed (its schedule may have started it). */
  async admit(connection: Connection): Promise<void> {
    if (this.adopted.has(connection.name)) return; // this run is the workflow its schedule started
    try {
      await checkSyncCanStart(this.client, this.address, connection.name);
    } catch (error) {
      if (!(error instanceof TemporalUnreachableError)) throw error;
      throw new SluiceError(error.code, `${error.message}; no run was started: try again once Temporal answers`, {
        cause: error,
      });
    }
  }

  /** The next launch of `connection` follows this workflow (started by its schedule) instead of starting one. */
  adopt(connection: string, handle: SyncHandle): void {
    this.adopted.set(connection, handle);
  }

  forget(connection: string): void {
    this.adopted.delete(connection);
  }

  async launch(request: LaunchRequest, callbacks: LaunchCallbacks, signal: AbortSignal): Promise<RunOutcome> {
    const redact = redactorFor(request.secrets);
    const follow = new Follower(callbacks);
    const name = request.connection.name;
    let handle = this.adopted.get(name);
    this.adopted.delete(name);
    const cancel = () => void handle?.cancel().catch(() => {});
    signal.addEventListener("abort", cancel, { once: true });
    try {
      if (!handle) {
        const input = this.inputFor(request.connection, request.options, request.destination, request.runId);
        handle = await startSync(this.client, this.taskQueue, input);
        follow.log("info", `workflow ${handle.workflowId} started on task queue "${this.taskQueue}"`);
      } else follow.log("info", `workflow ${handle.workflowId} started by the connection's Temporal Schedule`);
      if (signal.aborted) cancel();
      const polling = follow.poll(handle);
      try {
        const result = await handle.result();
        const { pages, records, inserted, updated, unchanged } = result;
        follow.log("info", `sync #${result.syncId} succeeded on worker ${result.worker}: ${records} records`);
        return {
          status: "succeeded",
          syncId: result.syncId,
          counts: { pages, records, inserted, updated, unchanged },
          recordsPerSecond: result.recordsPerSecond,
        };
      } finally {
        follow.stop();
        await polling;
      }
    } catch (error) {
      const cancelled = signal.aborted || isCancellation(error);
      const failure = failureOf(error);
      const message = redact(cancelled ? messageOf(signal.reason ?? "cancelled") : failure.message);
      follow.log(cancelled ? "warn" : "error", cancelled ? `cancelled: ${message}` : `failed: ${message}`);
      return {
        status: cancelled ? "cancelled" : "failed",
        syncId: failure.syncId ?? follow.syncId,
        counts: follow.counts,
        error: message,
        stderrTail: failure.stderrTail ? redact(failure.stderrTail) : undefined,
      };
    } finally {
      signal.removeEventListener("abort", cancel);
    }
  }
}

/** Reads a running workflow's heartbeats into the run's progress and log. */
class Follower {
  counts: RunCounts = { pages: 0, records: 0, inserted: 0, updated: 0, unchanged: 0 };
  syncId: number | null = null;
  private attempt = 0;
  private stopped = false;
  private wakeUp: () => void = () => {};

  constructor(private readonly callbacks: LaunchCallbacks) {}

  log(level: LogEntry["level"], message: string): void {
    this.callbacks.log({ time: new Date().toISOString(), level, message });
  }

  async poll(handle: SyncHandle): Promise<void> {
    while (!this.stopped) {
      const beat = await syncProgress(handle).catch(() => undefined);
      if (beat) this.take(beat);
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        setTimeout(resolve, PROGRESS_POLL_MS);
      });
    }
  }

  stop(): void {
    this.stopped = true;
    this.wakeUp();
  }

  private take(beat: SyncHeartbeat): void {
    if (beat.attempt !== this.attempt) {
      this.attempt = beat.attempt;
      this.log(
        beat.attempt > 1 ? "warn" : "info",
        beat.attempt > 1
          ? `retried: attempt ${beat.attempt} on worker ${beat.worker}`
          : `running on worker ${beat.worker}`,
      );
    }
    const { pages, records, inserted, updated, unchanged } = beat;
    this.counts = { pages, records, inserted, updated, unchanged };
    this.syncId = beat.syncId ?? this.syncId;
    this.callbacks.progress({ ...this.counts, syncId: this.syncId, estimatedTotal: beat.estimatedTotal });
  }
}

function isCancellation(error: unknown): boolean {
  return error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure;
}

/** The innermost failure's message and the details the activity attached (sync id, stderr tail). */
function failureOf(error: unknown): { message: string; syncId?: number; stderrTail?: string } {
  let inner: unknown = error;
  while (inner instanceof TemporalFailure && inner.cause) inner = inner.cause;
  if (error instanceof WorkflowFailedError && inner instanceof Error) {
    const details = (inner as { details?: unknown[] }).details?.[0] as
      | { syncId?: number | null; stderrTail?: string | null }
      | undefined;
    return {
      message: inner.message,
      syncId: details?.syncId ?? undefined,
      stderrTail: details?.stderrTail ?? undefined,
    };
  }
  return { message: messageOf(error) };
}

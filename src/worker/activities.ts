/**
 * The sync activity: one attempt at a connection's sync, through the engine
 * exactly as `sluice sync` runs it (pages written with their checkpoints in
 * one transaction). It heartbeats its progress, so Temporal notices a dead
 * worker and retries elsewhere; a retry resumes from the state committed with
 * the rows, which makes keyed streams exactly once. The heartbeat also
 * carries cancellation in: the connector is then stopped gracefully.
 */
import { ApplicationFailure, Context } from "@temporalio/activity";
import { hostname } from "node:os";
import { runConnectionSync, type Store, stderrTailOf, syncIdOf } from "../engine/index.js";
import { codeOf, type ErrorCode, messageOf } from "../errors.js";
import type { Logger } from "../logging.js";
import { sluiceHome } from "../registry/index.js";
import { SecretBox } from "../server/connections/secret-box.js";
import { requireSharedStore } from "./destination.js";
import { ensureInstalled } from "./install.js";
import { DEFAULT_SYNC_POLICY, type SyncHeartbeat, type SyncInput, type SyncResult } from "./types.js";

export interface ActivityDeps {
  /** The worker's --db: where syncs write unless the connection names its own destination. */
  defaultDestination: string;
  /** The installation home holding this worker's connectors (default $SLUICE_HOME). */
  home?: string;
  logger: Logger;
}

/** Failures a retry cannot fix: the sync fails at once instead of after every attempt. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "DISTRIBUTED_STORE_REFUSED",
  "OPTIONS_INVALID",
  "USAGE",
  "CONNECTOR_NOT_INSTALLED",
  "MANIFEST_INVALID",
  "INSTALL_FAILED",
  "STORE_AUTH_FAILED",
  "PRIMARY_KEY_CHANGED",
  "SECRET_KEY_MISMATCH",
  "SECRET_UNREADABLE",
]);

export const WORKER_IDENTITY = `${process.pid}@${hostname()}`;

export function createActivities(deps: ActivityDeps) {
  return {
    async syncConnection(input: SyncInput): Promise<SyncResult> {
      return new SyncAttempt(deps, input, Context.current()).run();
    },
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;

class SyncAttempt {
  private readonly logger: Logger;
  private readonly heartbeat: SyncHeartbeat;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly input: SyncInput,
    private readonly context: Context,
  ) {
    const { attempt } = context.info;
    this.logger = deps.logger.child({
      connection: input.connection,
      attempt,
      ...(input.runId && { run: input.runId }),
    });
    this.heartbeat = {
      ...{ pages: 0, records: 0, inserted: 0, updated: 0, unchanged: 0 },
      ...{ syncId: null, estimatedTotal: null, checkpoint: null, worker: WORKER_IDENTITY, attempt },
    };
  }

  async run(): Promise<SyncResult> {
    const { input, context, logger } = this;
    const signal = context.cancellationSignal;
    // Quiet connectors still heartbeat (a sync that is alive but between pages is not a dead worker),
    // and only heartbeats bring a cancellation in.
    const policy = { ...DEFAULT_SYNC_POLICY, ...input.policy };
    const beat = setInterval(() => context.heartbeat(this.heartbeat), (policy.heartbeatTimeoutSeconds * 1000) / 4);
    try {
      const summary = await runConnectionSync({
        connection: input.connection,
        connector: input.connector,
        destination: requireSharedStore(input.destination ?? this.deps.defaultDestination, "the destination"),
        options: this.options(),
        streams: input.streams,
        tablePrefix: input.tablePrefix,
        home: this.deps.home,
        logger,
        signal,
        beforeStart: async (store) => {
          await this.closeAbandonedAttempt(store);
          await ensureInstalled(input.connector, input.manifest, { home: this.deps.home, logger, signal });
          logger.info(`sync of "${input.connection}" starts on ${WORKER_IDENTITY} (attempt ${context.info.attempt})`);
        },
        onProgress: (progress) => {
          Object.assign(this.heartbeat, progress);
          context.heartbeat(this.heartbeat);
        },
      });
      logger.info(`sync #${summary.syncId} of "${input.connection}" succeeded: ${summary.records} records`);
      const { pages, records, inserted, updated, unchanged } = summary;
      return {
        ...{ pages, records, inserted, updated, unchanged, syncId: summary.syncId, connection: input.connection },
        ...{ durationMs: Math.round(summary.durationMs), recordsPerSecond: summary.recordsPerSecond },
        ...{ attempt: context.info.attempt, worker: WORKER_IDENTITY },
      };
    } catch (error) {
      // A cancellation ends as Temporal's own CancelledFailure, so the workflow sees a cancelled activity.
      if (signal.aborted) throw signal.reason;
      logger.warn(`sync of "${input.connection}" failed: ${messageOf(error)}`);
      throw failureOf(error, this.heartbeat);
    } finally {
      clearInterval(beat);
    }
  }

  /** The connector's options, opened with the installation's key when the server sealed them. */
  private options(): string {
    const { input } = this;
    if (!input.optionsSealed) return input.options;
    return SecretBox.open(this.deps.home ?? sluiceHome()).decrypt(input.options, `connection "${input.connection}"`);
  }

  /**
   * A retry after a worker died: the sync log entry of the attempt that died
   * still says "running". It is closed as failed, naming the retry, so the log
   * shows both; the rows and state it committed stay and this attempt resumes there.
   */
  private async closeAbandonedAttempt(store: Store): Promise<void> {
    const previous = this.context.info.heartbeatDetails as SyncHeartbeat | undefined;
    if (this.context.info.attempt === 1 || !previous?.syncId) return;
    const entry = (await store.listSyncs(100)).find((e) => e.id === previous.syncId);
    if (entry?.status !== "running") return;
    const { pages, inserted, updated, unchanged } = previous;
    await store.finishSync(previous.syncId, {
      status: "failed",
      ...{ pages, inserted, updated, unchanged },
      error:
        `worker ${previous.worker} stopped answering during attempt ${previous.attempt}; ` +
        `retried as attempt ${this.context.info.attempt} on ${WORKER_IDENTITY}, from the state committed with the rows`,
    });
    this.logger.warn(
      `sync #${previous.syncId} of "${this.input.connection}" was abandoned by worker ${previous.worker}; resuming`,
    );
  }
}

/** An error as Temporal carries it: its code as the failure type, permanent ones not retried. */
function failureOf(error: unknown, progress: SyncHeartbeat): ApplicationFailure {
  const code = codeOf(error, "SYNC_FAILED");
  const stderrTail = stderrTailOf(error);
  return ApplicationFailure.create({
    message: messageOf(error),
    type: code,
    nonRetryable: PERMANENT.has(code),
    details: [{ syncId: syncIdOf(error) ?? progress.syncId, stderrTail: stderrTail ?? null }],
    cause: error instanceof Error ? error : undefined,
  });
}

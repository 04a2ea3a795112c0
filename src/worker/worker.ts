/**
 * `sluice worker`: polls a Temporal task queue and runs the syncs it is
 * given, each as the sync activity over the engine. Any number of workers may
 * poll one queue; Temporal spreads the syncs and moves a dead worker's sync
 * to a live one. Stops on the caller's signal: no new syncs are taken, and
 * running ones are cancelled (connectors stopped gracefully, then retried
 * elsewhere from their committed state).
 */
import { type LogLevel as TemporalLogLevel, Runtime, Worker } from "@temporalio/worker";
import { fileURLToPath } from "node:url";
import type { Logger, LogLevel } from "../logging.js";
import { parseStoreLocation } from "../stores/location.js";
import { createActivities, WORKER_IDENTITY } from "./activities.js";
import { requireSharedStore } from "./destination.js";
import { connectWorker, type TemporalSettings } from "./temporal-connection.js";

export interface WorkerOptions extends TemporalSettings {
  taskQueue: string;
  /** Where syncs write unless their connection names a destination: a postgres:// URL. */
  db: string;
  /** Syncs this worker runs at once. */
  maxConcurrentSyncs: number;
  /** The installation home of this worker's connectors (default $SLUICE_HOME). */
  home?: string;
  logger: Logger;
  /** Aborting stops the worker. */
  signal: AbortSignal;
  /** Told once the worker polls (for the CLI's "ready" line and tests). */
  onReady?: () => void;
}

/** How long running syncs get to stop their connectors when the worker stops. */
const SHUTDOWN_GRACE = "30s";

export async function runWorker(options: WorkerOptions): Promise<void> {
  const { logger, signal } = options;
  requireSharedStore(options.db, "--db");
  installRuntime(logger);
  const connection = await connectWorker(options, logger, signal);
  try {
    const worker = await Worker.create({
      connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      identity: WORKER_IDENTITY,
      workflowsPath: fileURLToPath(new URL("./workflows.js", import.meta.url)),
      activities: createActivities({ defaultDestination: options.db, home: options.home, logger }),
      maxConcurrentActivityTaskExecutions: options.maxConcurrentSyncs,
      shutdownGraceTime: SHUTDOWN_GRACE,
      // Progress shown by the server comes from heartbeats: send them every 2 s at most, not at 80 % of the timeout.
      maxHeartbeatThrottleInterval: "2s",
    });
    const stop = () => worker.shutdown();
    signal.addEventListener("abort", stop, { once: true });
    if (signal.aborted) return;
    const running = worker.run();
    logger.info(
      `worker ${WORKER_IDENTITY} polls task queue "${options.taskQueue}" on ${options.address} (namespace ` +
        `${options.namespace}), writing to ${displayOf(options.db)}; up to ${options.maxConcurrentSyncs} syncs at once`,
    );
    options.onReady?.();
    await running;
    signal.removeEventListener("abort", stop);
  } finally {
    await connection.close();
  }
}

let runtimeInstalled = false;

/**
 * The SDK's own logs go through Sluice's logger (warnings and errors only: its
 * info lines are about its internals), and Sluice handles the signals itself.
 */
function installRuntime(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const forward = (level: TemporalLogLevel, message: string) => {
    if (level === "WARN" || level === "ERROR") logger.log(level.toLowerCase() as LogLevel, `temporal: ${message}`);
  };
  Runtime.install({
    logger: {
      log: forward,
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (message) => forward("WARN", message),
      error: (message) => forward("ERROR", message),
    },
    telemetryOptions: { logging: { filter: { core: "WARN" }, forward: {} } },
    shutdownSignals: [],
  });
}

function displayOf(location: string): string {
  const parsed = parseStoreLocation(location);
  return parsed.kind === "postgres" ? parsed.display : parsed.file;
}

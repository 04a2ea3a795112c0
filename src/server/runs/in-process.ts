/**
 * The single-machine launcher: the sync runs in the server's own process
 * through the engine, exactly as `sluice sync` runs it. The connector's logs
 * become the run's log (secrets redacted); its stderr tail is kept for a
 * failure.
 */
import {
  CONDUIT_IDLE_STOP_SECONDS,
  openSource,
  openStore,
  runSync,
  type SourceDriver,
  type Store,
  stderrTailOf,
  syncIdOf,
  syncStopFor,
} from "../../engine/index.js";
import { messageOf } from "../../errors.js";
import { createLogger, type Logger } from "../../logging.js";
import { type Redactor, redactorFor } from "./redact.js";
import type { LaunchCallbacks, LaunchRequest, RunCounts, RunLauncher, RunOutcome } from "./types.js";

const STDERR_TAIL_LINES = 20;

export class InProcessLauncher implements RunLauncher {
  /** `home`: the installation home whose connectors run (default $SLUICE_HOME). */
  constructor(private readonly home?: string) {}

  async launch(request: LaunchRequest, callbacks: LaunchCallbacks, signal: AbortSignal): Promise<RunOutcome> {
    const redact = redactorFor(request.secrets);
    const connectorLines: string[] = [];
    const logger = runLogger(callbacks, redact, connectorLines);
    const counts: RunCounts = { pages: 0, records: 0, inserted: 0, updated: 0, unchanged: 0 };
    let syncId: number | null = null;
    let driver: SourceDriver | undefined;
    let store: Store | undefined;
    try {
      store = await openStore(request.destination, { warn: (message) => logger.warn(message) });
      const { connection } = request;
      // The driver keeps the installed connector's name (its messages say which program failed); the
      // connection's name goes to runSync, which names the tables, state and sync log by it.
      const opened = await openSource(
        { installed: connection.connector },
        { logger: logger.child({ connector: connection.name }), home: this.home },
      );
      driver = opened.driver;
      signal.throwIfAborted();
      const { stop, defaulted } = syncStopFor(opened.protocol);
      if (defaulted)
        logger.info(
          `a Conduit source never ends by itself: the run stops once no record arrived for ${CONDUIT_IDLE_STOP_SECONDS} s`,
        );
      const summary = await runSync({
        connector: connection.name,
        driver,
        store,
        options: request.options,
        streams: connection.streams ?? undefined,
        tablePrefix: connection.tablePrefix ?? undefined,
        stop,
        signal,
        onEvent: (event) => {
          if (event.type === "started") {
            syncId = event.syncId;
            logger.info(`sync #${event.syncId} started: streams ${event.streams.join(", ")} (${event.protocol})`);
          } else if (event.type === "page") {
            const { inserted, updated, unchanged } = event.totals;
            Object.assign(counts, {
              pages: event.pages,
              inserted,
              updated,
              unchanged,
              records: inserted + updated + unchanged,
            });
            callbacks.progress({ ...counts, syncId, estimatedTotal: event.estimatedTotal ?? null });
          }
        },
      });
      const { inserted, updated, unchanged, pages, records } = summary;
      logger.info(`sync #${summary.syncId} succeeded: ${records} records in ${pages} pages`);
      return {
        status: "succeeded",
        syncId: summary.syncId,
        counts: { pages, records, inserted, updated, unchanged },
        recordsPerSecond: summary.recordsPerSecond,
      };
    } catch (error) {
      const cancelled = signal.aborted;
      const message = redact(cancelled ? messageOf(signal.reason) : messageOf(error));
      logger.log(cancelled ? "warn" : "error", cancelled ? `cancelled: ${message}` : `failed: ${message}`);
      return {
        status: cancelled ? "cancelled" : "failed",
        syncId: syncIdOf(error) ?? syncId,
        counts,
        error: message,
        stderrTail: redact(stderrTailOf(error) ?? connectorLines.slice(-STDERR_TAIL_LINES).join("\n")) || undefined,
      };
    } finally {
      await driver?.close().catch(() => {});
      await store?.close().catch(() => {});
    }
  }
}

/** Log entries go to the run (redacted); a connector's own lines are also kept for its stderr tail. */
function runLogger(callbacks: LaunchCallbacks, redact: Redactor, connectorLines: string[]): Logger {
  return createLogger({
    level: "debug",
    format: "json",
    write: (line) => {
      const { time, level, message, ...fields } = JSON.parse(redact(line)) as Record<string, unknown>;
      const text = String(message);
      if (fields.connector !== undefined) {
        connectorLines.push(text);
        if (connectorLines.length > STDERR_TAIL_LINES * 2) connectorLines.splice(0, STDERR_TAIL_LINES);
      }
      callbacks.log({ time: String(time), level: String(level), message: text, fields });
    },
  });
}

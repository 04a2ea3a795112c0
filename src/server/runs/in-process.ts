/**
 * The single-machine launcher: the sync runs in the server's own process
 * through the engine, exactly as `sluice sync` runs it. The connector's logs
 * become the run's log (secrets redacted); its stderr tail is kept for a
 * failure.
 */
import { runConnectionSync, stderrTailOf, syncIdOf } from "../../engine/index.js";
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
    const { connection } = request;
    try {
      const summary = await runConnectionSync({
        connection: connection.name,
        connector: connection.connector,
        destination: request.destination,
        options: request.options,
        streams: connection.streams ?? undefined,
        tablePrefix: connection.tablePrefix ?? undefined,
        home: this.home,
        logger,
        signal,
        onProgress: (progress, event) => {
          syncId = progress.syncId;
          if (event !== "page") return;
          const { pages, records, inserted, updated, unchanged, estimatedTotal } = progress;
          Object.assign(counts, { pages, records, inserted, updated, unchanged });
          callbacks.progress({ ...counts, syncId, estimatedTotal });
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

/**
 * Running checks: each in order, timed, its failure (or a thrown error) an
 * outcome rather than the end of the run; and the probe that watches a
 * connector's output while the checks use it.
 */
import { messageOf } from "../errors.js";
import { settlesWithin } from "../process/index.js";
import type { Logger, LogFields, LogLevel } from "../logging.js";
import { type CheckOutcome, type CheckReport, type ConformanceReport, failed, summarize } from "./report.js";

export interface Check {
  id: string;
  title: string;
  run(): Promise<CheckOutcome>;
}

export async function runChecks(
  connector: string,
  protocol: string,
  checks: Check[],
  onCheck?: (report: CheckReport) => void,
): Promise<ConformanceReport> {
  const started = performance.now();
  const reports: CheckReport[] = [];
  for (const check of checks) {
    const begun = performance.now();
    let outcome: CheckOutcome;
    try {
      outcome = await check.run();
    } catch (error) {
      outcome = failed(messageOf(error));
    }
    const report = { id: check.id, title: check.title, ...outcome, durationMs: performance.now() - begun };
    reports.push(report);
    onCheck?.(report);
  }
  return summarize(connector, protocol, reports, performance.now() - started);
}

/**
 * A logger for the connector under test: keeps the lines it printed on
 * stdout besides its protocol (drivers log them with `stream: "stdout"`) and
 * passes everything on at debug level, so the report stays readable and
 * `--log-level debug` shows the connector's own logs.
 */
export class Probe {
  readonly stdoutLines: string[] = [];
  readonly logger: Logger;

  constructor(base: Logger) {
    this.logger = this.wrap(base, {});
  }

  private wrap(base: Logger, bound: LogFields): Logger {
    const log = (_level: LogLevel, message: string, fields?: LogFields): void => {
      if ({ ...bound, ...fields }.stream === "stdout") this.stdoutLines.push(message);
      base.debug(message, fields);
    };
    return {
      log,
      trace: (m, f) => log("trace", m, f),
      debug: (m, f) => log("debug", m, f),
      info: (m, f) => log("info", m, f),
      warn: (m, f) => log("warn", m, f),
      error: (m, f) => log("error", m, f),
      child: (fields) => this.wrap(base.child(fields), { ...bound, ...fields }),
    };
  }
}

/** `work`'s value, or "timeout" after `ms` (src/process's settlesWithin: no timer outlives the race). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | "timeout"> {
  return (await settlesWithin(work, ms)) ? work : "timeout";
}

/**
 * What every command shares: the output mode (human or --json), the logger,
 * and how results and errors are printed. Results go to stdout, logs and
 * progress to stderr.
 */
import { codeOf, SluiceError, UsageError } from "../errors.js";
import { createLogger, isLogLevel, type Logger, type LogLevel } from "../logging.js";
import { printable } from "./terminal.js";

export interface GlobalOptions {
  json?: boolean;
  logLevel?: string;
}

export interface CliContext {
  json: boolean;
  logger: Logger;
  /** Prints a result: the JSON value with --json, else the human text. */
  result(value: unknown, human: string): void;
  /** Routes log lines elsewhere (e.g. above a progress bar); undefined restores stderr. */
  redirectLogs(write: ((line: string) => void) | undefined): void;
}

const toStderr = (line: string): void => {
  process.stderr.write(line);
};

export function createContext(options: GlobalOptions): CliContext {
  const json = options.json === true;
  const level = options.logLevel ?? "info";
  if (!isLogLevel(level))
    throw new UsageError(`--log-level must be one of trace, debug, info, warn, error (got "${level}")`);
  let write: (line: string) => void = toStderr;
  return {
    json,
    logger: createLogger({ level: level as LogLevel, format: json ? "json" : "human", write: (line) => write(line) }),
    redirectLogs: (to) => {
      write = to ?? toStderr;
    },
    result: (value, human) =>
      process.stdout.write(json ? JSON.stringify(value) + "\n" : human.endsWith("\n") ? human : human + "\n"),
  };
}

/** Prints an error the way the user asked for and returns the exit code. */
export function reportError(error: unknown, json: boolean): number {
  const code = codeOf(error, "INTERNAL");
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stderr.write(JSON.stringify({ level: "error", code, message }) + "\n");
  else process.stderr.write(`error: ${printable(message, { keepNewlines: true })}\n`);
  if (!(error instanceof SluiceError) && error instanceof Error && process.env.SLUICE_DEBUG)
    process.stderr.write(`${error.stack}\n`);
  return code === "SYNC_CANCELLED" ? 130 : 1;
}

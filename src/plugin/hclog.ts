/**
 * A plugin's stderr, line by line: hclog JSON lines (`@level`, `@message`,
 * `@timestamp`, `@module`, extra key/values — also what Conduit's SDK emits)
 * become structured log entries; anything else is plain text at debug level.
 * Also keeps the last lines, so a failed start can show what the plugin said.
 */
import { type Logger, type LogFields, type LogLevel, levelOf } from "../logging.js";
import { LineSplitter, LOG_LINE_MAX_BYTES, OutputTail } from "../process/index.js";

const hclogLevels: Record<string, LogLevel> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  fatal: "error",
  panic: "error",
};

export interface ParsedLogLine {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

export function parseLogLine(line: string): ParsedLogLine {
  if (line.startsWith("{")) {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (typeof entry["@message"] === "string" || typeof entry["@level"] === "string") {
        const { "@level": level, "@message": message, "@timestamp": _ts, "@caller": _caller, ...fields } = entry;
        return {
          level: levelOf(hclogLevels, String(level).toLowerCase()),
          message: String(message ?? ""),
          fields,
        };
      }
    } catch {
      // not JSON after all: plain text below
    }
  }
  return { level: "debug", message: line, fields: {} };
}

/** Splits a byte stream into lines, logs each, and remembers the last few (bounded: see src/process). */
export class StderrForwarder {
  private readonly tail: OutputTail;
  private readonly lines = new LineSplitter(
    { maxBytes: LOG_LINE_MAX_BYTES, overflow: "cut", source: "stderr" },
    (line) => this.line(line),
  );

  /** @param tailLines how many of the last lines `recent()` quotes (default: the process module's tail) */
  constructor(
    private readonly logger: Logger,
    tailLines?: number,
  ) {
    this.tail = new OutputTail(tailLines);
  }

  push(chunk: Buffer | string): void {
    this.lines.push(chunk);
  }

  end(): void {
    this.lines.end();
  }

  /** The last lines seen, for error messages. */
  recent(): string {
    return this.tail.text(this.lines.partial());
  }

  private line(line: string): void {
    if (!line.trim()) return;
    this.tail.add(line);
    const parsed = parseLogLine(line);
    this.logger.log(parsed.level, parsed.message, parsed.fields);
  }
}

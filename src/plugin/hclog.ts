/**
 * A plugin's stderr, line by line: hclog JSON lines (`@level`, `@message`,
 * `@timestamp`, `@module`, extra key/values — also what Conduit's SDK emits)
 * become structured log entries; anything else is plain text at debug level.
 * Also keeps the last lines, so a failed start can show what the plugin said.
 */
import type { Logger, LogFields, LogLevel } from "../logging.js";

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
          level: hclogLevels[String(level).toLowerCase()] ?? "info",
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

/** Splits a byte stream into lines, logs each, and remembers the last few. */
export class StderrForwarder {
  private partial = "";
  private readonly tail: string[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly tailLines = 20,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.line(line);
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = "";
  }

  /** The last lines seen, for error messages. */
  recent(): string {
    return [...this.tail, ...(this.partial ? [this.partial] : [])].join("\n");
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, "");
    if (!line.trim()) return;
    this.tail.push(line);
    if (this.tail.length > this.tailLines) this.tail.shift();
    const parsed = parseLogLine(line);
    this.logger.log(parsed.level, parsed.message, parsed.fields);
  }
}

/**
 * Structured logging shared by every layer: a leaf module (imports nothing of
 * ours). Human lines on a terminal, JSON lines (`--json`) for machines; both on
 * stderr so stdout stays free for results.
 */

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

const levelRank: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry. */
  child(fields: LogFields): Logger;
}

export interface LogSinkOptions {
  level: LogLevel;
  format: "human" | "json";
  /** Where lines go; defaults to stderr. Swapped by progress renderers. */
  write?: (line: string) => void;
}

export function isLogLevel(value: string): value is LogLevel {
  return value in levelRank;
}

export function createLogger(options: LogSinkOptions, bound: LogFields = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const threshold = levelRank[options.level];
  const emit = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (levelRank[level] < threshold) return;
    const all = { ...bound, ...fields };
    write(options.format === "json" ? jsonLine(level, message, all) : humanLine(level, message, all));
  };
  return {
    log: emit,
    trace: (m, f) => emit("trace", m, f),
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything: the default for library callers. */
export const silentLogger: Logger = createLogger({ level: "error", format: "json", write: () => {} });

function jsonLine(level: LogLevel, message: string, fields: LogFields): string {
  return JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }) + "\n";
}

function humanLine(level: LogLevel, message: string, fields: LogFields): string {
  const { connector, ...rest } = fields;
  const prefix = connector ? `[${String(connector)}] ` : "";
  const extras = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  return `${level.toUpperCase().padEnd(5)} ${prefix}${message}${extras ? ` ${extras}` : ""}\n`;
}

/**
 * A level looked up by a connector's own word: only the table's own keys, so
 * "constructor" or "__proto__" is no level (not Object.prototype's member).
 */
export function levelOf(table: Record<string, LogLevel>, word: string): LogLevel {
  return Object.hasOwn(table, word) ? table[word] : "info";
}

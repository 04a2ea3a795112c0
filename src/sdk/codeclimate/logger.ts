/** codeclimate-connector-sdk's Logger: `[tag] message` lines, filtered by level. */
export enum LoggerLevel {
  ERROR = "ERROR",
  WARN = "WARN",
  INFO = "INFO",
  DEBUG = "DEBUG",
}

export interface LoggerIO {
  write(text: string): void;
}

export interface LoggerConfig {
  level?: LoggerLevel;
  tags?: string[];
}

const severity: Record<LoggerLevel, number> = { ERROR: 0, WARN: 1, INFO: 2, DEBUG: 3 };

export class Logger {
  readonly level: LoggerLevel;
  readonly tags: string[];

  constructor(
    public io: LoggerIO,
    config: LoggerConfig = {},
  ) {
    this.level = config.level ?? LoggerLevel.INFO;
    this.tags = config.tags ?? [];
  }

  error(message: string): void {
    this.log(LoggerLevel.ERROR, message);
  }

  warn(message: string): void {
    this.log(LoggerLevel.WARN, message);
  }

  info(message: string): void {
    this.log(LoggerLevel.INFO, message);
  }

  debug(message: string): void {
    this.log(LoggerLevel.DEBUG, message);
  }

  taggedChild(tags: string[]): Logger {
    return new (this.constructor as typeof Logger)(this.io, { level: this.level, tags: [...this.tags, ...tags] });
  }

  protected log(level: LoggerLevel, message: string): void {
    if (severity[level] > severity[this.level]) return;
    this.write(level, [...this.tags.map((tag) => `[${tag}]`), message].join(" "));
  }

  /** Where a line goes; Sluice's runner overrides it to keep the level. */
  protected write(_level: LoggerLevel, line: string): void {
    this.io.write(`${line}\n`);
  }
}

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

/**
 * The level methods are properties, as upstream's are, so they also work
 * detached (`const { info } = logger`), and take anything, as upstream's
 * `(string) => void` (a parameter named string, of type any) does.
 */
// biome-ignore lint/suspicious/noExplicitAny: upstream's public type
type LevelWriter = (message: any) => void;

export class Logger {
  protected io: LoggerIO;
  protected config: LoggerConfig;

  constructor(io: LoggerIO, config?: LoggerConfig) {
    this.io = io;
    this.config = config ?? {};
  }

  get level(): LoggerLevel {
    return this.config.level ?? LoggerLevel.INFO;
  }

  get tags(): string[] {
    return this.config.tags ?? [];
  }

  error: LevelWriter = (message) => this.log(LoggerLevel.ERROR, message);
  warn: LevelWriter = (message) => this.log(LoggerLevel.WARN, message);
  info: LevelWriter = (message) => this.log(LoggerLevel.INFO, message);
  debug: LevelWriter = (message) => this.log(LoggerLevel.DEBUG, message);

  /** A Logger with more tags, writing to the same place (a subclass that writes elsewhere overrides this). */
  taggedChild(additionalTags: string[]): Logger {
    return new Logger(this.io, this.childConfig(additionalTags));
  }

  protected childConfig(additionalTags: string[]): LoggerConfig {
    return { level: this.level, tags: [...this.tags, ...additionalTags] };
  }

  protected log(level: LoggerLevel, message: unknown): void {
    if (severity[level] > severity[this.level]) return;
    this.write(level, [...this.tags.map((tag) => `[${tag}]`), message].join(" "));
  }

  /** Where a line goes; Sluice's runner overrides it to keep the level. */
  protected write(_level: LoggerLevel, line: string): void {
    this.io.write(`${line}\n`);
  }
}

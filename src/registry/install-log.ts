/**
 * One log file per install or update (`connectors/<name>/logs/…`): what was
 * asked, every command with its output, and the outcome. The same output is
 * handed to `echo` (the terminal) as it arrives.
 */
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Older logs beyond this many per connector are deleted. */
const KEEP_LOGS = 10;

export class InstallLog {
  private fd: number | undefined;
  /** Whether the last text written ended a line (command output may not). */
  private atLineStart = true;

  private constructor(
    readonly path: string,
    private readonly echo: (text: string) => void,
  ) {
    this.fd = openSync(path, "a");
  }

  static create(dir: string, action: string, echo: (text: string) => void): InstallLog {
    mkdirSync(dir, { recursive: true });
    pruneLogs(dir, KEEP_LOGS - 1);
    const stamp = new Date().toISOString().replaceAll(":", "-");
    return new InstallLog(join(dir, `${stamp}-${action}.log`), echo);
  }

  /** A line of Sluice's own (what is about to happen), prefixed so it stands out from command output. */
  note(line: string): void {
    this.endLine();
    this.write(`==> ${line}\n`);
  }

  /** The outcome, for the file only: the terminal hears it as the command's result or error. */
  outcome(line: string): void {
    this.endLine();
    if (this.fd !== undefined) writeSync(this.fd, `==> ${line}\n`);
  }

  /** Output of a running command, as it comes. */
  output(text: string): void {
    this.write(text);
  }

  close(): void {
    this.endLine();
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(text: string): void {
    if (text === "") return;
    if (this.fd !== undefined) writeSync(this.fd, text);
    this.echo(text);
    this.atLineStart = text.endsWith("\n");
  }

  private endLine(): void {
    if (!this.atLineStart) this.write("\n");
  }
}

/** The newest log of a connector, if any. */
export function latestLog(dir: string): string | undefined {
  const logs = logFiles(dir);
  return logs.length > 0 ? join(dir, logs[logs.length - 1]) : undefined;
}

function logFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .sort();
  } catch {
    return [];
  }
}

function pruneLogs(dir: string, keep: number): void {
  const logs = logFiles(dir);
  for (const old of logs.slice(0, Math.max(0, logs.length - keep))) rmSync(join(dir, old), { force: true });
}

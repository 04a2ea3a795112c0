/**
 * The plugin's operating-system process: spawned in its own process group (so
 * a `sh -c` wrapper and its children die together), stdout's first line read
 * for the handshake, stderr forwarded as logs, and a stop that escalates from
 * waiting to SIGTERM to SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** How to start a plugin: a shell command line (as c1-core does) or an argv. */
export type LaunchCommand = { shell: string } | { executable: string; args?: string[] };

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  spawnError?: NodeJS.ErrnoException;
}

export function describeCommand(command: LaunchCommand): string {
  return "shell" in command ? command.shell : [command.executable, ...(command.args ?? [])].join(" ");
}

export function describeExit(status: ExitStatus): string {
  if (status.spawnError) return `could not be started (${status.spawnError.code ?? status.spawnError.message})`;
  if (status.signal) return `was killed by ${status.signal}`;
  return `exited with code ${status.code}`;
}

export class PluginProcess {
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.once("error", (spawnError: NodeJS.ErrnoException) => {
        this.exitStatus ??= { code: null, signal: null, spawnError };
        resolve(this.exitStatus);
      });
      child.once("close", (code, signal) => {
        this.exitStatus ??= { code, signal };
        resolve(this.exitStatus);
      });
    });
  }

  static spawn(command: LaunchCommand, options: { cwd?: string; env: NodeJS.ProcessEnv }): PluginProcess {
    const [file, args] =
      "shell" in command ? ["/bin/sh", ["-c", command.shell]] : [command.executable, command.args ?? []];
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new PluginProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdout(): NodeJS.ReadableStream {
    return this.child.stdout!;
  }

  get stderr(): NodeJS.ReadableStream {
    return this.child.stderr!;
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** Resolves with the first stdout line; later lines go to `onLaterLine`. */
  firstLine(onLaterLine: (line: string) => void): Promise<string> {
    return new Promise((resolve) => {
      let buffered = "";
      let resolved = false;
      this.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (resolved) onLaterLine(line);
          else {
            resolved = true;
            resolve(line);
          }
        }
      });
    });
  }

  /** Waits up to `graceMs` for a voluntary exit, then SIGTERM, then SIGKILL. */
  async stop(graceMs: number): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    if (await this.exitsWithin(graceMs)) return this.exited;
    this.signalGroup("SIGTERM");
    if (await this.exitsWithin(graceMs)) return this.exited;
    this.signalGroup("SIGKILL");
    return this.exited;
  }

  /** Kills the whole process group at once. */
  kill(): void {
    this.signalGroup("SIGKILL");
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    if (this.exitStatus) return true;
    const timer = new AbortController();
    const timeout = new Promise<false>((resolve) => {
      const handle = setTimeout(() => resolve(false), ms);
      timer.signal.addEventListener("abort", () => clearTimeout(handle));
    });
    const result = await Promise.race([this.exited.then(() => true), timeout]);
    timer.abort();
    return result;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.exitStatus) return;
    try {
      process.kill(-pid, signal);
    } catch {
      this.child.kill(signal);
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

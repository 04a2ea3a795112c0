/**
 * A child process in a process group of its own (so a `sh -c` wrapper and
 * everything it starts are stopped together), registered with the cleanup
 * registry while it runs so that Ctrl-C, a crash of Sluice's own code or the
 * next start after a `kill -9` can find it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { cleanup, RUN_ID_VARIABLE, runId } from "./cleanup.js";
import type { ExitStatus } from "./exit.js";
import { readAtMost } from "./lines.js";
import { STOP_GRACE, settlesWithin } from "./stop.js";

/** How to start a program: a shell command line (as c1-core does) or an argv. */
export type LaunchCommand = { shell: string } | { executable: string; args?: string[] };

export function describeCommand(command: LaunchCommand): string {
  return "shell" in command ? command.shell : [command.executable, ...(command.args ?? [])].join(" ");
}

export function argvOf(command: LaunchCommand): string[] {
  return "shell" in command ? ["/bin/sh", "-c", command.shell] : [command.executable, ...(command.args ?? [])];
}

export interface SpawnOptions {
  /** Names the child in messages and in the record of what Sluice started. */
  name: string;
  cwd?: string;
  /** The whole environment (default: Sluice's own). */
  env?: NodeJS.ProcessEnv;
  /** stdin is closed unless the caller writes to it. */
  stdin?: "ignore" | "pipe";
  stdout?: "pipe" | "inherit";
  /** Extra pipes after stderr (fd 3, 4, …): side channels for messages. */
  extraPipes?: number;
}

export class ChildGroup {
  /** Resolves when the process has exited and its output pipes are closed (or it could not start). */
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const release = child.pid === undefined ? () => {} : cleanup.track(this, child.spawnargs.join(" "));
    this.exited = new Promise((resolve) => {
      child.once("error", (spawnError: NodeJS.ErrnoException) => {
        this.status ??= { code: null, signal: null, spawnError };
        release();
        resolve(this.status);
      });
      child.once("close", (code, signal) => {
        this.status ??= { code, signal };
        release();
        resolve(this.status);
      });
    });
  }

  static spawn(argv: readonly string[], options: SpawnOptions): ChildGroup {
    const [program, ...args] = argv;
    const extra = Array.from({ length: options.extraPipes ?? 0 }, () => "pipe" as const);
    const started = cleanup.beforeStart();
    try {
      const child = spawn(program, args, {
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), [RUN_ID_VARIABLE]: runId() },
        stdio: [options.stdin ?? "ignore", options.stdout ?? "pipe", "pipe", ...extra],
        detached: true,
      });
      return new ChildGroup(options.name, child);
    } finally {
      started();
    }
  }

  static launch(command: LaunchCommand, options: SpawnOptions): ChildGroup {
    return ChildGroup.spawn(argvOf(command), options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdin(): Writable {
    return this.child.stdin!;
  }

  get stdout(): Readable {
    return this.child.stdout!;
  }

  get stderr(): Readable {
    return this.child.stderr!;
  }

  /** An extra pipe given with `extraPipes` (fd 3 is the first). */
  pipe(fd: number): Readable {
    return this.child.stdio[fd] as Readable;
  }

  get hasExited(): boolean {
    return this.status !== undefined;
  }

  /**
   * The stop policy (see stop.ts): `request` asks the child to finish (e.g.
   * go-plugin's Shutdown) and it gets STOP_GRACE.afterRequestMs to exit;
   * then SIGTERM and STOP_GRACE.afterTerminateMs; then SIGKILL. Without a
   * request it starts at SIGTERM.
   */
  async stop(request?: () => unknown): Promise<ExitStatus> {
    if (request && !this.hasExited) {
      void Promise.resolve()
        .then(request)
        .catch(() => {});
      if (await settlesWithin(this.exited, STOP_GRACE.afterRequestMs)) return this.exited;
    }
    this.signal("SIGTERM");
    if (await settlesWithin(this.exited, STOP_GRACE.afterTerminateMs)) return this.exited;
    this.signal("SIGKILL");
    return this.exited;
  }

  /** SIGKILL to the whole group at once: for a breached limit or a start that failed. */
  kill(): void {
    this.signal("SIGKILL");
  }

  /** Sends `signal` to the process group (to the process alone if the group is gone). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.status) return;
    try {
      process.kill(-pid, signal);
    } catch {
      this.child.kill(signal);
    }
  }
}

/** The most a short query's answer may print (a `git rev-parse`). */
const QUERY_OUTPUT_MAX_BYTES = 1024 * 1024;

/** Runs a short query (`git rev-parse HEAD`) to its end: how it ended and its stdout (stderr is dropped). */
export async function queryOutput(
  argv: readonly string[],
  options: SpawnOptions,
): Promise<{ status: ExitStatus; stdout: string }> {
  const child = ChildGroup.spawn(argv, options);
  child.stderr.resume();
  try {
    const stdout = await readAtMost(child.stdout, QUERY_OUTPUT_MAX_BYTES, options.name);
    return { status: await child.exited, stdout };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

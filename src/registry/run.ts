/**
 * Running the steps of an install: the manifest's shell commands (`sh -c`,
 * as c1-core and `sluice sync` do) and Sluice's own git commands. Each runs
 * in its own process group with stdin closed (nothing can stop to prompt),
 * its output goes to the install log and the terminal, and a deadline or
 * Ctrl-C stops the whole group (a `go build` and its compilers alike).
 */
import { spawn } from "node:child_process";
import { CommandFailedError, InstallTimeoutError } from "./errors.js";
import type { InstallLog } from "./install-log.js";

/** The reason a Deadline aborts with; turned into an InstallTimeoutError naming the step. */
class DeadlineReached {
  constructor(readonly seconds: number) {}
}

/** The time an install or update may take, as an AbortSignal; `cancel` stops it early (Ctrl-C). */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly seconds: number) {
    this.timer = setTimeout(() => this.controller.abort(new DeadlineReached(seconds)), seconds * 1000);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(reason: Error): void {
    this.controller.abort(reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** The error to throw when `signal` stopped `what`. */
export function stoppedError(signal: AbortSignal, what: string): unknown {
  const reason: unknown = signal.reason;
  return reason instanceof DeadlineReached ? new InstallTimeoutError(what, reason.seconds) : reason;
}

export interface Step {
  /** What the step is, for messages: "install_command", "git clone". */
  label: string;
  /** The program and its arguments; shell commands are ["sh", "-c", command]. */
  argv: string[];
  /** How the step is shown to people (the plan, the log). */
  display: string;
}

export function shellStep(label: string, command: string): Step {
  return { label, argv: ["sh", "-c", command], display: command };
}

export interface StepContext {
  cwd: string;
  log: InstallLog;
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

const TAIL_LINES = 20;
const TAIL_CHARS = 8000;
const KILL_GRACE_MS = 3000;

/** Runs a step to completion; a non-zero exit is a CommandFailedError with the output's tail. */
export async function runStep(step: Step, context: StepContext): Promise<void> {
  if (context.signal.aborted) throw stoppedError(context.signal, describe(step));
  context.log.note(`${step.display}    (${step.label}, in ${context.cwd})`);
  let tail = "";
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      const [program, ...args] = step.argv;
      const child = spawn(program, args, {
        cwd: context.cwd,
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", ...context.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const onData = (data: Buffer) => {
        const text = data.toString("utf8");
        tail = (tail + text).slice(-TAIL_CHARS);
        context.log.output(text);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      let killTimer: NodeJS.Timeout | undefined;
      const stop = () => {
        killGroup(child.pid, "SIGTERM");
        killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
      };
      context.signal.addEventListener("abort", stop, { once: true });
      child.on("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "ENOENT"
            ? new CommandFailedError(
                `cannot run ${describe(step)}: \`${program}\` is not installed or not on PATH`,
                null,
                "",
              )
            : error,
        ),
      );
      child.on("close", (exitCode, exitSignal) => {
        clearTimeout(killTimer);
        context.signal.removeEventListener("abort", stop);
        resolve({ code: exitCode, signal: exitSignal });
      });
    },
  );
  if (context.signal.aborted) throw stoppedError(context.signal, describe(step));
  if (code === 0) return;
  const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
  const lines = tail.trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
  throw new CommandFailedError(
    `${describe(step)} ${how} (in ${context.cwd})${lines ? `; the last lines of its output:\n${indent(lines)}` : "; it printed nothing"}`,
    code,
    lines,
  );
}

function describe(step: Step): string {
  return step.label === step.display ? `\`${step.display}\`` : `${step.label} \`${step.display}\``;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    | ${line}`)
    .join("\n");
}

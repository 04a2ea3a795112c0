/**
 * Running the steps of an install: the manifest's shell commands (`sh -c`,
 * as c1-core and `sluice sync` do) and Sluice's own git commands. Each runs
 * in its own process group with stdin closed (nothing can stop to prompt),
 * its output goes to the install log and the terminal, and a deadline or
 * Ctrl-C stops the whole group (a `go build` and its compilers alike).
 */
import { ChildGroup, describeExit, LineSplitter, LOG_LINE_MAX_BYTES, OutputTail } from "../process/index.js";
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

/** Runs a step to completion; a non-zero exit is a CommandFailedError with the output's tail. */
export async function runStep(step: Step, context: StepContext): Promise<void> {
  if (context.signal.aborted) throw stoppedError(context.signal, describe(step));
  context.log.note(`${step.display}    (${step.label}, in ${context.cwd})`);
  const child = ChildGroup.spawn(step.argv, {
    name: step.label,
    cwd: context.cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0", ...context.env },
  });
  const tail = new OutputTail();
  const outputs = [child.stdout, child.stderr].map((stream) => {
    const lines = new LineSplitter({ maxBytes: LOG_LINE_MAX_BYTES, overflow: "cut", source: step.label }, (line) => {
      if (line.trim()) tail.add(line);
    });
    stream.on("data", (data: Buffer) => {
      lines.push(data);
      context.log.output(data.toString("utf8"));
    });
    return lines;
  });
  const stop = () => void child.stop();
  context.signal.addEventListener("abort", stop, { once: true });
  const status = await child.exited;
  context.signal.removeEventListener("abort", stop);
  for (const lines of outputs) lines.end();
  if (status.spawnError?.code === "ENOENT")
    throw new CommandFailedError(
      `cannot run ${describe(step)}: \`${step.argv[0]}\` is not installed or not on PATH`,
      null,
      "",
    );
  if (status.spawnError) throw status.spawnError;
  if (context.signal.aborted) throw stoppedError(context.signal, describe(step));
  if (status.code === 0) return;
  const lines = tail.text();
  throw new CommandFailedError(
    `${describe(step)} ${describeExit(status)} (in ${context.cwd})${lines ? `; the last lines of its output:\n${indent(lines)}` : "; it printed nothing"}`,
    status.code,
    lines,
  );
}

function describe(step: Step): string {
  return step.label === step.display ? `\`${step.display}\`` : `${step.label} \`${step.display}\``;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    | ${line}`)
    .join("\n");
}

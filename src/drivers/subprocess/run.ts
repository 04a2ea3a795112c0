/**
 * Runs a connector command once (`sh -c "<command> <args>"`, in its own
 * process group) and hands each stdout message to a callback, which may wait
 * (the source then waits on its full pipe: backpressure). stderr and stdout
 * chatter become logs, and the last lines are kept for error messages.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { SluiceError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { StderrForwarder } from "../../plugin/hclog.js";
import { jsonLines } from "./json-lines.js";

const STOP_GRACE_MS = 5000;

export interface CommandSource {
  /** Shell command that starts the connector; arguments are appended. */
  command: string;
  cwd?: string;
  name: string;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The connector's last lines of output, for error messages. */
  output: string;
}

/** How a run ended, as words: "exited with code 3", "was killed by SIGKILL". */
export const describeExit = (result: CommandResult): string =>
  result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;

export class CommandRunner {
  private readonly running = new Set<ChildProcess>();

  constructor(
    private readonly source: CommandSource,
    private readonly logger: Logger,
  ) {}

  async run<M extends { type: string }>(
    args: string[],
    onMessage: (message: M) => Promise<void> | void,
  ): Promise<CommandResult> {
    const child = spawn("sh", ["-c", `${this.source.command} "$@"`, this.source.name, ...args], {
      cwd: this.source.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.running.add(child);
    const stderr = new StderrForwarder(this.logger);
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("error", (error) =>
        reject(
          new SluiceError(
            "CONNECTOR_START_FAILED",
            `cannot start "${this.source.name}" (${this.source.command}): ${error.message}`,
          ),
        ),
      );
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    try {
      for await (const event of jsonLines<M>(child.stdout!, this.source.name)) {
        if (event.kind === "text") stderr.push(`${event.text}\n`);
        else await onMessage(event.message);
      }
      const exit = await exited;
      stderr.end();
      return { ...exit, output: stderr.recent() };
    } catch (error) {
      await stop(child);
      throw error;
    } finally {
      this.running.delete(child);
    }
  }

  /** Runs the command and returns all of its stdout (for small outputs like a Singer catalog). */
  async capture(args: string[]): Promise<CommandResult & { stdout: string }> {
    const child = spawn("sh", ["-c", `${this.source.command} "$@"`, this.source.name, ...args], {
      cwd: this.source.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.running.add(child);
    const stderr = new StderrForwarder(this.logger);
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    let stdout = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    try {
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
        child.once("error", (error) =>
          reject(
            new SluiceError(
              "CONNECTOR_START_FAILED",
              `cannot start "${this.source.name}" (${this.source.command}): ${error.message}`,
            ),
          ),
        );
        child.once("close", (code, signal) => resolve({ code, signal }));
      });
      stderr.end();
      return { ...exit, output: stderr.recent(), stdout };
    } finally {
      this.running.delete(child);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map(stop));
  }
}

/** SIGTERM to the process group, SIGKILL if it is still there after a grace period. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      child.kill(name);
    }
  };
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
}

/**
 * Runs a connector command once (`sh -c "<command> <args>"`, in its own
 * process group: see src/process) and hands each stdout message to a
 * callback, which may wait (the source then waits on its full pipe:
 * backpressure). stderr and stdout chatter become logs, and the last lines
 * are kept for error messages.
 */
import { SluiceError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { StderrForwarder } from "../../plugin/hclog.js";
import { CAPTURE_MAX_BYTES, ChildGroup, type ExitStatus, readAtMost } from "../../process/index.js";
import { jsonLines, type MessageProblem } from "./json-lines.js";

export interface CommandSource {
  /** Shell command that starts the connector; arguments are appended. */
  command: string;
  cwd?: string;
  name: string;
}

export interface CommandResult extends ExitStatus {
  /** The connector's last lines of output, for error messages. */
  output: string;
}

export class CommandRunner {
  private readonly running = new Set<ChildGroup>();

  /**
   * @param tempFolder the connector's TMPDIR (TMP and TEMP too), when Sluice keeps one for it
   */
  constructor(
    private readonly source: CommandSource,
    private readonly logger: Logger,
    private readonly tempFolder?: string,
  ) {}

  async run<M extends { type: string }>(
    args: string[],
    /** Each message, with the length of its line (what the message weighs while it waits in a page). */
    onMessage: (message: M, length: number) => Promise<void> | void,
    problem?: MessageProblem,
  ): Promise<CommandResult> {
    return this.supervise(args, async (child, stderr) => {
      for await (const event of jsonLines<M>(child.stdout, this.source.name, problem)) {
        if (event.kind === "text") stderr.push(`${event.text}\n`);
        else await onMessage(event.message, event.length);
      }
      return {};
    });
  }

  /** Runs the command and returns all of its stdout (for small outputs like a Singer catalog; bounded). */
  async capture(args: string[]): Promise<CommandResult & { stdout: string }> {
    return this.supervise(args, async (child) => ({
      stdout: await readAtMost(child.stdout, CAPTURE_MAX_BYTES, `connector "${this.source.name}"`),
    }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map((child) => child.stop()));
  }

  /** Starts the command, lets `read` consume its stdout, and stops it if anything fails. */
  private async supervise<T>(
    args: string[],
    read: (child: ChildGroup, stderr: StderrForwarder) => Promise<T>,
  ): Promise<CommandResult & T> {
    const { command, cwd, name } = this.source;
    const temp = this.tempFolder;
    const env = temp === undefined ? undefined : { ...process.env, TMPDIR: temp, TMP: temp, TEMP: temp };
    const child = ChildGroup.spawn(["sh", "-c", `${command} "$@"`, name, ...args], { name, cwd, env });
    this.running.add(child);
    const stderr = new StderrForwarder(this.logger);
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    try {
      const result = await read(child, stderr);
      const exit = await child.exited;
      if (exit.spawnError)
        throw new SluiceError(
          "CONNECTOR_START_FAILED",
          `cannot start "${name}" (${command}): ${exit.spawnError.message}`,
        );
      stderr.end();
      return { ...exit, ...result, output: stderr.recent() };
    } catch (error) {
      await child.stop();
      throw error;
    } finally {
      this.running.delete(child);
    }
  }
}

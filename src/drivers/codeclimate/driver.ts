/**
 * Code Climate connectors as a SourceDriver. Each call runs the connector in
 * a child process of its own (runner.ts) so its limits can be enforced and a
 * breach kills only the connector: combined RSS and wall time, watched from
 * here. Records arrive as pages per record type; checkpoints (StateManager.set
 * and the end of each stream) are written only after the pages before them.
 */
import { fileURLToPath } from "node:url";
import { ConnectorProtocolError, messageOf, SluiceError } from "../../errors.js";
import { parseJsonQuietly } from "../../json.js";
import { type Logger, silentLogger } from "../../logging.js";
import { StderrForwarder } from "../../plugin/hclog.js";
import { ChildGroup, describeExit, type ExitStatus, readLines } from "../../process/index.js";
import type { VerifyConfigurationResult } from "../../sdk/codeclimate/client.js";
import type { StreamRecord } from "../../sdk/codeclimate/stream.js";
import type {
  CheckResult,
  SourceSpec,
  PageSink,
  ReadOutcome,
  SourceReadRequest,
  SourceDriver,
  StreamDescriptor,
} from "../types.js";
import { DEFAULT_LIMITS, formatBytes, LimitWatch, type ResourceLimits } from "./limits.js";
import type { LocatedConnector } from "./locate.js";
import type { ConnectorState, RunnerJob, RunnerMessage, RunnerVerb } from "./messages.js";
import { recordStreams, streamNameOf } from "./records.js";

export interface CodeClimateRead {
  verb: "discover-streams" | "sync-stream" | "sync";
  /** sync-stream: the Stream record to sync. */
  stream?: StreamRecord;
  /** ISO 8601; default: each stream's last successful sync, else `lookbackDays` ago. */
  earliestDataCutoff?: string;
}

export interface CodeClimateSettings {
  limits?: ResourceLimits;
  logger?: Logger;
  /** How far back a stream's first sync reaches when no cutoff is given. */
  lookbackDays?: number;
  verbose?: boolean;
  /** Validate with upstream's type lookup quirk (see record-validator.ts). */
  upstreamCompat?: boolean;
  /**
   * check() accepts without running verifyConfiguration(). Upstream's CLI
   * discovers and syncs without verifying, and some connectors' verification
   * needs what their discovery does not (pagerduty's calls the API; its
   * discovery is offline).
   */
  skipVerify?: boolean;
}

export class CodeClimateConnectorError extends SluiceError {
  constructor(connector: string, failure: Extract<RunnerMessage, { t: "failed" }>) {
    const invalidRecord = failure.name === "InvalidRecordError";
    const which = failure.record
      ? ` ${String(failure.record.type)} record${failure.record.id !== undefined ? ` (id ${JSON.stringify(failure.record.id)})` : ""}`
      : " record";
    super(
      invalidRecord ? "RECORD_INVALID" : "CONNECTOR_FAILED",
      invalidRecord
        ? `connector "${connector}" produced an invalid${which}: ${failure.message}`
        : `connector "${connector}" failed: ${failure.name === "Error" ? "" : `${failure.name}: `}${failure.message}`,
    );
  }
}

/** Parses the config text into the object whose keys become the client's Map. */
export function parseConfiguration(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonQuietly(text);
  } catch (error) {
    throw new SluiceError("OPTIONS_INVALID", `${where} is ${messageOf(error)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new SluiceError(
      "OPTIONS_INVALID",
      `${where} must hold a JSON object, whose keys become the connector's configuration`,
    );
  return value as Record<string, unknown>;
}

const runnerPath = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "./runner.ts" : "./runner.js", import.meta.url),
);
const runnerArgs = import.meta.url.endsWith(".ts") ? ["--import", "tsx", runnerPath] : [runnerPath];

/** The runner's messages are pages of up to PAGE_SIZE records: a line may be large, never unbounded. */
const CHANNEL_LINE_MAX_BYTES = 256 * 1024 * 1024;

interface Run {
  child: ChildGroup;
  watch: LimitWatch;
  stderr: StderrForwarder;
  breach?: SluiceError;
  failure?: Extract<RunnerMessage, { t: "failed" }>;
}

export class CodeClimateDriver implements SourceDriver {
  readonly protocol = "codeclimate";
  /** The highest combined RSS seen in any run so far. */
  peakRssBytes = 0;
  private readonly running = new Set<ChildGroup>();
  private readonly limits: ResourceLimits;
  private readonly logger: Logger;

  constructor(
    readonly connector: LocatedConnector,
    private readonly plan: CodeClimateRead = { verb: "sync" },
    private readonly settings: CodeClimateSettings = {},
  ) {
    this.limits = settings.limits ?? DEFAULT_LIMITS;
    this.logger = (settings.logger ?? silentLogger).child({ connector: connector.slug });
  }

  async spec(): Promise<SourceSpec> {
    return {
      name: this.connector.name,
      version: this.connector.version,
      description: `Code Climate connector ${this.connector.name}`,
    };
  }

  async check(options: string): Promise<CheckResult> {
    if (this.settings.skipVerify) return { ok: true, errors: [] };
    const result = await this.verify(options);
    return { ok: result.isValid, errors: result.errorMessages ?? [] };
  }

  async verify(options: string): Promise<VerifyConfigurationResult> {
    let result: VerifyConfigurationResult | undefined;
    await this.run("verify-configuration", options, {}, async (message) => {
      if (message.t === "verified") result = message.result;
    });
    if (!result || typeof result.isValid !== "boolean")
      throw new ConnectorProtocolError(
        `connector "${this.connector.slug}": verifyConfiguration() did not resolve to { isValid: boolean, errorMessages?: string[] }`,
      );
    return result;
  }

  async discover(): Promise<StreamDescriptor[]> {
    return recordStreams();
  }

  async read(request: SourceReadRequest, sink: PageSink): Promise<ReadOutcome> {
    const state = parseState(request.state);
    const startedAt = new Date().toISOString();
    const checkpoint = () => sink.checkpoint(JSON.stringify(state));
    let streamsDone = 0;
    let streamsFound = 0;
    await this.run(this.plan.verb, request.options, state, async (message) => {
      switch (message.t) {
        case "records":
          if (message.type === "Stream") streamsFound += message.records.length;
          return sink.page({ stream: streamNameOf(message.type), rows: message.records as Record<string, unknown>[] });
        case "state":
          state.streams[message.stream] = message.state;
          return checkpoint();
        case "stream-done":
          streamsDone++;
          state.lastSuccessfulSync[message.stream] = startedAt;
          return checkpoint();
      }
    });
    const work =
      this.plan.verb === "discover-streams"
        ? `${streamsFound} stream(s) discovered`
        : `${streamsDone} stream(s) synced`;
    return {
      message: `${work}; peak RSS ${formatBytes(this.peakRssBytes)} (limit ${formatBytes(this.limits.memoryBytes)})`,
    };
  }

  /** Runs a verb with the upstream CLI's output (records printed on stdout), under the limits. */
  async runPrinted(
    verb: RunnerVerb,
    options: string,
    read: CodeClimateRead = this.plan,
  ): Promise<VerifyConfigurationResult | undefined> {
    let result: VerifyConfigurationResult | undefined;
    await this.run(
      verb,
      options,
      parseState(""),
      async (message) => {
        if (message.t === "verified") result = message.result;
      },
      { ...read, output: "console" },
    );
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map((child) => child.stop()));
  }

  private async run(
    verb: RunnerVerb,
    options: string,
    state: Partial<ConnectorState>,
    onMessage: (message: RunnerMessage) => Promise<void>,
    overrides: CodeClimateRead & { output?: RunnerJob["output"] } = this.plan,
  ): Promise<void> {
    const job: RunnerJob = {
      entry: this.connector.entry,
      slug: this.connector.slug,
      verb,
      config: parseConfiguration(options, `the configuration of connector "${this.connector.slug}"`),
      stream: overrides.stream,
      earliestDataCutoff: overrides.earliestDataCutoff,
      defaultCutoff: new Date(Date.now() - (this.settings.lookbackDays ?? 90) * 86_400_000).toISOString(),
      lastSuccessfulSync: state.lastSuccessfulSync ?? {},
      states: state.streams ?? {},
      output: overrides.output ?? "channel",
      verbose: this.settings.verbose ?? false,
    };
    const run = this.start(job);
    try {
      await this.pump(run, onMessage);
      const exit = await run.child.exited;
      if (run.breach) throw run.breach;
      if (run.failure) throw new CodeClimateConnectorError(this.connector.slug, run.failure);
      if (exit.code !== 0) throw this.crashed(run, exit);
    } catch (error) {
      await run.child.stop();
      throw run.breach ?? error;
    } finally {
      run.watch.stop();
      this.peakRssBytes = Math.max(this.peakRssBytes, run.watch.peakRssBytes);
      this.running.delete(run.child);
    }
  }

  private start(job: RunnerJob): Run {
    const env = { ...process.env, ...(this.settings.upstreamCompat ? { SLUICE_CODECLIMATE_COMPAT: "upstream" } : {}) };
    const child = ChildGroup.spawn([process.execPath, ...runnerArgs], {
      name: this.connector.slug,
      env,
      stdin: "pipe",
      stdout: job.output === "console" ? "inherit" : "pipe",
      extraPipes: 1,
    });
    this.running.add(child);
    const stderr = new StderrForwarder(this.logger);
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdout?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on("error", () => {}); // a connector that dies at once is reported by its exit
    child.stdin.end(JSON.stringify(job));
    const run: Run = {
      child,
      stderr,
      watch: new LimitWatch(child.pid ?? 0, this.connector.slug, this.limits, (error) => {
        run.breach = error;
        child.kill();
      }),
    };
    return run;
  }

  /** Reads fd 3 line by line, one message at a time: the sink's pace is the connector's. */
  private async pump(run: Run, onMessage: (message: RunnerMessage) => Promise<void>): Promise<void> {
    const limit = {
      maxBytes: CHANNEL_LINE_MAX_BYTES,
      overflow: "fail",
      source: `connector "${this.connector.slug}"`,
    } as const;
    for await (const line of readLines(run.child.pipe(3), limit)) {
      const message = JSON.parse(line) as RunnerMessage;
      if (message.t === "log") this.logger.log(message.level, this.untagged(message.line));
      else if (message.t === "failed") {
        run.failure = message;
        if (message.stack) this.logger.debug(message.stack);
      } else await onMessage(message);
    }
  }

  /** The client's logger is tagged with the slug, as upstream's; Sluice's logger already names the connector. */
  private untagged(line: string): string {
    const tag = `[${this.connector.slug}] `;
    return line.startsWith(tag) ? line.slice(tag.length) : line;
  }

  private crashed(run: Run, exit: ExitStatus): SluiceError {
    run.stderr.end();
    const said = run.stderr.recent();
    return new SluiceError(
      "CONNECTOR_CRASHED",
      `connector "${this.connector.slug}" ${describeExit(exit)}${said ? `; its last output:\n${said}` : ""}`,
    );
  }
}

function parseState(text: string): ConnectorState {
  const state = text ? (JSON.parse(text) as Partial<ConnectorState>) : {};
  return { streams: state.streams ?? {}, lastSuccessfulSync: state.lastSuccessfulSync ?? {} };
}

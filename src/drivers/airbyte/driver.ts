/**
 * Airbyte sources as a SourceDriver, run as plain subprocesses (no Docker):
 * `<command> spec | check --config | discover --config | read --config
 * --catalog [--state]`, their stdout read line by line as Airbyte messages.
 * Records are paged per stream; a STATE message first writes every record
 * before it, then becomes the page's checkpoint, so state never runs ahead of
 * durable data. TRACE errors fail the sync with the source's own message and
 * stack; CONTROL config updates are handed to the caller to persist.
 */
import { SluiceError } from "../../errors.js";
import { type Logger, type LogLevel, levelOf, silentLogger } from "../../logging.js";
import { PrivateFiles } from "../subprocess/files.js";
import { Pager } from "../subprocess/pager.js";
import { describeExit } from "../../process/index.js";
import { CommandRunner, type CommandResult, type CommandSource } from "../subprocess/run.js";
import type {
  CheckResult,
  SourceSpec,
  PageSink,
  ReadOutcome,
  SourceReadRequest,
  SourceDriver,
  StreamDescriptor,
} from "../types.js";
import { checkCatalog, defaultCatalog, describe } from "./catalog.js";
import {
  type AirbyteMessage,
  type AirbyteStream,
  airbyteMessageProblem,
  type ConfiguredCatalog,
  type TraceMessage,
} from "./protocol.js";
import { SourceState } from "./state.js";
import { jsonText } from "../../protocol/json.js";

export type AirbyteSource = CommandSource;

export interface AirbyteSettings {
  logger?: Logger;
  /** A configured catalog (parsed JSON) to use instead of the generated defaults. */
  catalog?: unknown;
  /** Where `catalog` came from, for messages. */
  catalogSource?: string;
  /** The source sent a new config (CONTROL): persist it. */
  onConfigUpdate?: (config: Record<string, unknown>) => void;
}

export class AirbyteSourceError extends SluiceError {
  constructor(source: string, what: string, trace?: TraceMessage["error"], output?: string) {
    const detail = trace
      ? `: ${trace.message}${trace.internal_message && trace.internal_message !== trace.message ? ` (${trace.internal_message})` : ""}${trace.stack_trace ? `\n${trace.stack_trace.trimEnd()}` : ""}`
      : output
        ? `; its last output:\n${output}`
        : "";
    super(
      trace?.failure_type === "config_error" ? "OPTIONS_INVALID" : "CONNECTOR_FAILED",
      `Airbyte source "${source}" ${what}${detail}`,
    );
  }
}

const LOG_LEVELS: Record<string, LogLevel> = {
  FATAL: "error",
  ERROR: "error",
  WARN: "warn",
  WARNING: "warn",
  INFO: "info",
  DEBUG: "debug",
  TRACE: "trace",
};

export class AirbyteDriver implements SourceDriver {
  readonly protocol = "airbyte";
  readonly concurrentCalls = true;
  private readonly logger: Logger;
  private readonly runner: CommandRunner;
  private readonly files = new PrivateFiles();
  private configured: ConfiguredCatalog | undefined;
  private discovered: AirbyteStream[] | undefined;
  private config: string | undefined;

  constructor(
    readonly source: AirbyteSource,
    private readonly settings: AirbyteSettings = {},
  ) {
    this.logger = (settings.logger ?? silentLogger).child({ connector: source.name });
    this.runner = new CommandRunner(source, this.logger, this.files.tempFolder());
  }

  async spec(): Promise<SourceSpec> {
    const spec = await this.expect("spec", [], "SPEC");
    return {
      name: this.source.name,
      version: "",
      description: `Airbyte source ${this.source.name}`,
      optionsSchema: spec.spec.connectionSpecification,
    };
  }

  async check(options: string): Promise<CheckResult> {
    const status = await this.expect("check", ["--config", this.configFile(options)], "CONNECTION_STATUS");
    const { status: outcome, message } = status.connectionStatus;
    return {
      ok: outcome === "SUCCEEDED",
      errors: outcome === "SUCCEEDED" ? [] : [message ?? "the source's check failed without saying why"],
    };
  }

  /** The source's own catalog, as it describes its streams. */
  async discoverCatalog(options: string): Promise<AirbyteStream[]> {
    const catalog = await this.expect("discover", ["--config", this.configFile(options)], "CATALOG");
    this.discovered = catalog.catalog.streams;
    return this.discovered;
  }

  /** The configured catalog: the user's (checked against the source's streams), else the defaults. */
  async configuredCatalog(options: string): Promise<ConfiguredCatalog> {
    const discovered = this.discovered ?? (await this.discoverCatalog(options));
    this.configured ??=
      this.settings.catalog !== undefined
        ? checkCatalog(this.settings.catalog, discovered, this.settings.catalogSource ?? "the configured catalog")
        : defaultCatalog(discovered);
    return this.configured;
  }

  async discover(options: string): Promise<StreamDescriptor[]> {
    return (await this.configuredCatalog(options)).streams.map(describe);
  }

  async read(request: SourceReadRequest, sink: PageSink): Promise<ReadOutcome> {
    const catalog = await this.configuredCatalog(request.options);
    const wanted = new Set(request.streams.map((s) => s.name));
    const selected: ConfiguredCatalog = { streams: catalog.streams.filter((s) => wanted.has(s.stream.name)) };
    const state = SourceState.fromText(request.state);
    const args = [
      "read",
      "--config",
      this.configFile(request.options),
      "--catalog",
      this.files.write("catalog.json", JSON.stringify(selected)),
    ];
    if (!state.isEmpty) args.push("--state", this.files.write("state.json", state.toText()));

    const pages = new Pager(sink, wanted, this.source.name);
    const outcome = await pages.during(
      this.run(args, async (message, length) => {
        switch (message.type) {
          case "RECORD":
            return pages.add(message.record.stream, message.record.data, length);
          case "STATE":
            state.add(message.state);
            return pages.checkpoint(state.toText());
          case "TRACE":
            if (message.trace.type === "ESTIMATE" && message.trace.estimate?.row_estimate !== undefined)
              pages.estimate(message.trace.estimate.name, message.trace.estimate.row_estimate);
            return;
        }
      }),
    );
    await pages.finish(() => {
      if (outcome.result.code !== 0 || outcome.trace) throw this.failure("read", outcome);
    });
    return { message: `${pages.records} records from ${request.streams.length} stream(s)` };
  }

  async close(): Promise<void> {
    await this.runner.close();
    this.files.remove();
  }

  /** Runs a verb and returns the first message of `type`, or fails saying why there was none. */
  private async expect<T extends AirbyteMessage["type"]>(
    verb: string,
    args: string[],
    type: T,
  ): Promise<Extract<AirbyteMessage, { type: T }>> {
    let found: Extract<AirbyteMessage, { type: T }> | undefined;
    const outcome = await this.run([verb, ...args], (message) => {
      if (message.type === type) found ??= message as Extract<AirbyteMessage, { type: T }>;
    });
    if (found) return found;
    if (outcome.result.code !== 0 || outcome.trace) throw this.failure(verb, outcome);
    throw new AirbyteSourceError(
      this.source.name,
      `\`${verb}\` ended without a ${type} message`,
      undefined,
      outcome.result.output,
    );
  }

  private failure(
    verb: string,
    { result, trace }: { result: CommandResult; trace?: TraceMessage["error"] },
  ): AirbyteSourceError {
    return new AirbyteSourceError(
      this.source.name,
      `\`${verb}\` ${result.code !== 0 || result.signal ? describeExit(result) : "reported an error"}`,
      trace,
      result.output,
    );
  }

  /** Runs the source: LOG, TRACE errors and CONTROL are handled here, everything else goes to `onMessage`. */
  private async run(
    args: string[],
    onMessage: (message: AirbyteMessage, length: number) => Promise<void> | void,
  ): Promise<{ result: CommandResult; trace?: TraceMessage["error"] }> {
    let trace: TraceMessage["error"] | undefined;
    const result = await this.runner.run<AirbyteMessage>(
      args,
      (message, length) => {
        if (message.type === "LOG")
          return this.logger.log(
            levelOf(LOG_LEVELS, message.log.level),
            message.log.message,
            message.log.stack_trace ? { stack: message.log.stack_trace } : undefined,
          );
        if (message.type === "TRACE" && message.trace.type === "ERROR") {
          trace ??= message.trace.error;
          return this.logger.error(message.trace.error?.message ?? "error", {
            stack: message.trace.error?.stack_trace,
          });
        }
        if (message.type === "CONTROL" && message.control.connectorConfig)
          return this.updateConfig(message.control.connectorConfig.config);
        return onMessage(message, length);
      },
      airbyteMessageProblem,
    );
    return { result, trace };
  }

  private updateConfig(config: Record<string, unknown>): void {
    this.config = jsonText(config);
    this.logger.info("the source updated its configuration (CONTROL message)");
    this.settings.onConfigUpdate?.(config);
  }

  /** The config as a file the source reads: the latest one the source sent, else the options. */
  private configFile(options: string): string {
    return this.files.write("config.json", this.config ?? (options || "{}"));
  }
}

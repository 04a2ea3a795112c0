/**
 * Airbyte sources as a SourceDriver, run as plain subprocesses (no Docker):
 * `<command> spec | check --config | discover --config | read --config
 * --catalog [--state]`, their stdout read line by line as Airbyte messages.
 * Records are paged per stream; a STATE message first writes every record
 * before it, then becomes the page's checkpoint, so state never runs ahead of
 * durable data. TRACE errors fail the sync with the source's own message and
 * stack; CONTROL config updates are handed to the caller to persist.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SluiceError } from "../../errors.js";
import { type Logger, type LogLevel, silentLogger } from "../../logging.js";
import { StderrForwarder } from "../../plugin/hclog.js";
import type { CheckResult, ConnectorSpec, PageSink, ReadOutcome, ReadRequest, Row, SourceDriver, StreamDescriptor } from "../types.js";
import { checkCatalog, defaultCatalog, describe } from "./catalog.js";
import { airbyteLines } from "./lines.js";
import type { AirbyteMessage, AirbyteStream, ConfiguredCatalog, TraceMessage } from "./protocol.js";
import { SourceState } from "./state.js";

const PAGE_SIZE = 1000;
const STOP_GRACE_MS = 5000;

export interface AirbyteSource {
  /** Shell command that starts the source, e.g. `.venv/bin/source-faker`; the verb and flags are appended. */
  command: string;
  cwd?: string;
  name: string;
}

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
    super(trace?.failure_type === "config_error" ? "OPTIONS_INVALID" : "CONNECTOR_FAILED", `Airbyte source "${source}" ${what}${detail}`);
  }
}

const LOG_LEVELS: Record<string, LogLevel> = { FATAL: "error", ERROR: "error", WARN: "warn", WARNING: "warn", INFO: "info", DEBUG: "debug", TRACE: "trace" };

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  trace?: TraceMessage["error"];
  stderr: StderrForwarder;
}

export class AirbyteDriver implements SourceDriver {
  readonly protocol = "airbyte";
  private readonly logger: Logger;
  private readonly work = mkdtempSync(join(tmpdir(), "sluice-airbyte-"));
  private readonly running = new Set<ChildProcess>();
  private configured: ConfiguredCatalog | undefined;
  private discovered: AirbyteStream[] | undefined;
  private config: string | undefined;

  constructor(
    readonly source: AirbyteSource,
    private readonly settings: AirbyteSettings = {},
  ) {
    this.logger = (settings.logger ?? silentLogger).child({ connector: source.name });
  }

  async spec(): Promise<ConnectorSpec> {
    const spec = await this.expect("spec", [], "SPEC");
    return { name: this.source.name, version: "", description: `Airbyte source ${this.source.name}`, optionsSchema: spec.spec.connectionSpecification };
  }

  async check(options: string): Promise<CheckResult> {
    const status = await this.expect("check", ["--config", this.configFile(options)], "CONNECTION_STATUS");
    const { status: outcome, message } = status.connectionStatus;
    return { ok: outcome === "SUCCEEDED", errors: outcome === "SUCCEEDED" ? [] : [message ?? "the source's check failed without saying why"] };
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
    this.configured ??= this.settings.catalog !== undefined ? checkCatalog(this.settings.catalog, discovered, this.settings.catalogSource ?? "the configured catalog") : defaultCatalog(discovered);
    return this.configured;
  }

  async discover(options: string): Promise<StreamDescriptor[]> {
    return (await this.configuredCatalog(options)).streams.map(describe);
  }

  async read(request: ReadRequest, sink: PageSink): Promise<ReadOutcome> {
    const catalog = await this.configuredCatalog(request.options);
    const wanted = new Set(request.streams.map((s) => s.name));
    const selected: ConfiguredCatalog = { streams: catalog.streams.filter((s) => wanted.has(s.stream.name)) };
    const state = SourceState.fromText(request.state);
    const args = ["--config", this.configFile(request.options), "--catalog", this.writeFile("catalog.json", JSON.stringify(selected))];
    if (!state.isEmpty) args.push("--state", this.writeFile("state.json", state.toText()));

    const pages = new Pager(sink, wanted, this.source.name);
    const result = await this.run("read", args, async (message) => {
      switch (message.type) {
        case "RECORD":
          return pages.add(message.record.stream, message.record.data);
        case "STATE":
          state.add(message.state);
          await pages.flushAll();
          return sink({ stream: "", rows: [], checkpoint: state.toText() });
        case "TRACE":
          if (message.trace.type === "ESTIMATE" && message.trace.estimate?.row_estimate !== undefined) pages.estimate(message.trace.estimate.name, message.trace.estimate.row_estimate);
          return;
      }
    });
    if (result.code !== 0 || result.trace) throw this.failure("read", result);
    await pages.flushAll();
    return { message: `${pages.records} records from ${request.streams.length} stream(s)` };
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map(stop));
    rmSync(this.work, { recursive: true, force: true });
  }

  /** Runs a verb and returns the first message of `type`, or fails saying why there was none. */
  private async expect<T extends AirbyteMessage["type"]>(verb: string, args: string[], type: T): Promise<Extract<AirbyteMessage, { type: T }>> {
    let found: Extract<AirbyteMessage, { type: T }> | undefined;
    const result = await this.run(verb, args, async (message) => {
      if (message.type === type) found ??= message as Extract<AirbyteMessage, { type: T }>;
    });
    if (found) return found;
    if (result.code !== 0 || result.trace) throw this.failure(verb, result);
    throw new AirbyteSourceError(this.source.name, `\`${verb}\` ended without a ${type} message`, undefined, result.stderr.recent());
  }

  private failure(verb: string, result: RunResult): AirbyteSourceError {
    result.stderr.end();
    const how = result.signal ? `was killed by ${result.signal}` : result.code !== 0 ? `exited with code ${result.code}` : "reported an error";
    return new AirbyteSourceError(this.source.name, `\`${verb}\` ${how}`, result.trace, result.stderr.recent());
  }

  private async run(verb: string, args: string[], onMessage: (message: AirbyteMessage) => Promise<void>): Promise<RunResult> {
    const child = spawn("sh", ["-c", `${this.source.command} "$@"`, this.source.name, verb, ...args], {
      cwd: this.source.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.running.add(child);
    const stderr = new StderrForwarder(this.logger);
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("error", (error) => reject(new SluiceError("CONNECTOR_START_FAILED", `cannot start Airbyte source "${this.source.name}" (${this.source.command}): ${error.message}`)));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    let trace: TraceMessage["error"] | undefined;
    try {
      for await (const event of airbyteLines(child.stdout!, this.source.name)) {
        if (event.kind === "text") {
          stderr.push(`${event.text}\n`);
          continue;
        }
        const { message } = event;
        if (message.type === "LOG") this.logger.log(LOG_LEVELS[message.log.level] ?? "info", message.log.message, message.log.stack_trace ? { stack: message.log.stack_trace } : undefined);
        else if (message.type === "TRACE" && message.trace.type === "ERROR") {
          trace ??= message.trace.error;
          this.logger.error(message.trace.error?.message ?? "error", { stack: message.trace.error?.stack_trace });
        } else if (message.type === "CONTROL" && message.control.connectorConfig) this.updateConfig(message.control.connectorConfig.config);
        else await onMessage(message);
      }
      const exit = await exited;
      return { ...exit, trace, stderr };
    } catch (error) {
      await stop(child);
      throw error;
    } finally {
      this.running.delete(child);
    }
  }

  private updateConfig(config: Record<string, unknown>): void {
    this.config = JSON.stringify(config);
    this.logger.info("the source updated its configuration (CONTROL message)");
    this.settings.onConfigUpdate?.(config);
  }

  /** The config as a file the source reads: the latest one the source sent, else the options. */
  private configFile(options: string): string {
    return this.writeFile("config.json", this.config ?? (options || "{}"));
  }

  private writeFile(name: string, text: string): string {
    const path = join(this.work, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }
}

/** Records per stream, written a page at a time; all of them before a checkpoint. */
class Pager {
  records = 0;
  private readonly pending = new Map<string, Row[]>();
  private readonly estimates = new Map<string, number>();

  constructor(
    private readonly sink: PageSink,
    private readonly streams: Set<string>,
    private readonly source: string,
  ) {}

  async add(stream: string, data: Row): Promise<void> {
    if (!this.streams.has(stream)) throw new SluiceError("CONNECTOR_PROTOCOL_VIOLATION", `Airbyte source "${this.source}" sent a record of stream "${stream}", which is not in the configured catalog`);
    let page = this.pending.get(stream);
    if (!page) this.pending.set(stream, (page = []));
    page.push(data);
    this.records++;
    if (page.length >= PAGE_SIZE) await this.flush(stream);
  }

  estimate(stream: string, rows: number): void {
    this.estimates.set(stream, rows);
  }

  async flushAll(): Promise<void> {
    for (const stream of [...this.pending.keys()]) await this.flush(stream);
  }

  private async flush(stream: string): Promise<void> {
    const rows = this.pending.get(stream);
    this.pending.delete(stream);
    if (!rows?.length) return;
    const estimatedTotal = this.estimates.size ? [...this.estimates.values()].reduce((a, b) => a + b, 0) : undefined;
    await this.sink({ stream, rows, estimatedTotal });
  }
}

/** SIGTERM to the source's process group, SIGKILL if it is still there after a grace period. */
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

/**
 * Singer taps as a SourceDriver, run as subprocesses: `<tap> --config c
 * --discover` for the catalog, `<tap> --config c --catalog k [--state s]`
 * (or `--properties` for older taps) for the data; SCHEMA, RECORD and STATE
 * messages read line by line. As for Airbyte, a STATE first writes every
 * record before it and is saved with them.
 */
import { SluiceError } from "../../errors.js";
import { type Logger, silentLogger } from "../../logging.js";
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
import { describeStream, isSelected, parseCatalog, type SingerCatalog, selectStreams } from "./catalog.js";
import { jsonText } from "../../protocol/json.js";
import { type SingerMessage, singerMessageProblem } from "./messages.js";

export interface SingerSettings {
  logger?: Logger;
  /** A catalog (parsed JSON) with the user's selections, instead of `--discover` with every stream selected. */
  catalog?: unknown;
  catalogSource?: string;
  /** The flag the tap takes its catalog with: "--catalog" (default) or older taps' "--properties". */
  catalogFlag?: "--catalog" | "--properties";
}

export class SingerTapError extends SluiceError {
  constructor(tap: string, what: string, result: CommandResult) {
    super(
      "CONNECTOR_FAILED",
      `Singer tap "${tap}" ${what} ${describeExit(result)}${result.output ? `; its last output:\n${result.output}` : ""}`,
    );
  }
}

export class SingerDriver implements SourceDriver {
  readonly protocol = "singer";
  private readonly logger: Logger;
  private readonly runner: CommandRunner;
  private readonly files = new PrivateFiles();
  private catalog: SingerCatalog | undefined;

  constructor(
    readonly source: CommandSource,
    private readonly settings: SingerSettings = {},
  ) {
    this.logger = (settings.logger ?? silentLogger).child({ connector: source.name });
    this.runner = new CommandRunner(source, this.logger, this.files.tempFolder());
  }

  async spec(): Promise<SourceSpec> {
    return { name: this.source.name, version: "", description: `Singer tap ${this.source.name}` };
  }

  /** Singer has no check: a tap that can discover with this config is taken as configured. */
  async check(options: string): Promise<CheckResult> {
    try {
      await this.loadCatalog(options);
      return { ok: true, errors: [] };
    } catch (error) {
      if (error instanceof SingerTapError) return { ok: false, errors: [error.message] };
      throw error;
    }
  }

  /** The catalog: the user's, else what `--discover` prints. */
  async loadCatalog(options: string): Promise<SingerCatalog> {
    if (this.catalog) return this.catalog;
    if (this.settings.catalog !== undefined)
      return (this.catalog = parseCatalog(
        JSON.stringify(this.settings.catalog),
        this.settings.catalogSource ?? "the catalog",
      ));
    const result = await this.runner.capture([
      "--config",
      this.files.write("config.json", options || "{}"),
      "--discover",
    ]);
    if (result.code !== 0) throw new SingerTapError(this.source.name, "`--discover`", result);
    return (this.catalog = parseCatalog(result.stdout, `the catalog tap "${this.source.name}" printed`));
  }

  /** The streams to read: those the user's catalog selects, or all when it selects none (or there is none). */
  async discover(options: string): Promise<StreamDescriptor[]> {
    const catalog = await this.loadCatalog(options);
    const selected = catalog.streams.filter(isSelected);
    return (selected.length ? selected : catalog.streams).map(describeStream);
  }

  async read(request: SourceReadRequest, sink: PageSink): Promise<ReadOutcome> {
    const wanted = new Set(request.streams.map((s) => s.name));
    const catalog = selectStreams(await this.loadCatalog(request.options), wanted);
    const args = [
      "--config",
      this.files.write("config.json", request.options || "{}"),
      this.settings.catalogFlag ?? "--catalog",
      this.files.write("catalog.json", JSON.stringify(catalog)),
    ];
    if (request.state) args.push("--state", this.files.write("state.json", request.state));
    const pages = new Pager(sink, wanted, this.source.name);
    const result = await pages.during(
      this.runner.run<SingerMessage>(
        args,
        async (message, length) => {
          switch (message.type) {
            case "RECORD":
              return pages.add(message.stream, message.record, length);
            case "STATE":
              return pages.checkpoint(jsonText(message.value));
            case "SCHEMA":
              return this.logger.debug(
                `schema of stream "${message.stream}"${message.key_properties?.length ? `, key ${message.key_properties.join(", ")}` : ""}`,
              );
            default:
              return this.logger.debug(`ignored a ${message.type} message`);
          }
        },
        singerMessageProblem,
      ),
    );
    await pages.finish(() => {
      if (result.code !== 0) throw new SingerTapError(this.source.name, "(sync)", result);
    });
    return { message: `${pages.records} records from ${wanted.size} stream(s)` };
  }

  async close(): Promise<void> {
    await this.runner.close();
    this.files.remove();
  }
}

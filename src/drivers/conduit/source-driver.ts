/**
 * A Conduit source (standalone or built-in) as a SourceDriver, so the engine
 * moves its records like any other source's. The options are its config (a
 * JSON object of strings), checked against its specification before it is
 * configured. The state is the config and the position of the last record
 * written: Configure, the lifecycle event that the change since the last run
 * calls for, Open at that position; then each batch becomes pages (one per
 * collection, the position riding on the last) and is acked once they are
 * written. A Conduit source never ends by itself: the read stops on its
 * StopConditions, with Stop, a drain to the last position, and Teardown.
 */
import { ConnectorProtocolError } from "../../errors.js";
import { type Logger, silentLogger } from "../../logging.js";
import { deletion, type Row } from "../../protocol/rows.js";
import type {
  CheckResult,
  SourceSpec,
  PageSink,
  ReadOutcome,
  SourceReadRequest,
  SourceDriver,
  StreamDescriptor,
} from "../types.js";
import type { ConduitConnectorHandle, LifecycleChange } from "./endpoints.js";
import { bytesText, KEY_COLUMN, type OpenCdcRecord, recordToChange } from "./opencdc.js";
import type { SchemaDecoder } from "./schemas.js";
import { SourceReader } from "./source-reader.js";
import {
  type ConduitConfig,
  ConfigError,
  type ConnectorSide,
  checkConfig,
  parametersSchema,
  type Specification,
} from "./specification.js";

/** A row keeps the record it came from, so a Conduit destination receives that record unchanged. */
export const SOURCE_RECORD = Symbol("sluice.opencdc.record");

/** What a Conduit connector's state holds between runs. */
export interface SavedConduitState {
  config: ConduitConfig;
  /** base64 */
  position?: string;
}

export type LifecycleOutcome = LifecycleChange["kind"] | "unchanged";

export interface ConduitSourceSettings {
  logger?: Logger;
  /** Decodes records the connector's SDK encoded with registered schemas. */
  schemas?: SchemaDecoder;
  /** Runs once the connector is closed (e.g. stops the connector utilities started for it). */
  onClose?: () => Promise<void>;
}

const sameConfig = (a: ConduitConfig, b: ConduitConfig) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** The lifecycle event a config calls for, given the one saved on the last run. */
export function lifecycleChange(saved: ConduitConfig | undefined, config: ConduitConfig): LifecycleChange | undefined {
  if (!saved) return { kind: "created", config };
  return sameConfig(saved, config) ? undefined : { kind: "updated", before: saved, after: config };
}

/** Options as a Conduit config: a JSON object whose values are strings (numbers and booleans are written as text). */
export function parseConduitConfig(options: string, connector: string, side: ConnectorSide): ConduitConfig {
  let value: unknown;
  try {
    value = JSON.parse(options || "{}");
  } catch (error) {
    throw new ConfigError(connector, side, [
      `the config must be a JSON object of strings: ${(error as Error).message}`,
    ]);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError(connector, side, ["the config must be a JSON object of strings"]);
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** Checks `config` against the specification: problems throw ConfigError; unknown keys are logged. */
export function refuseInvalidConfig(
  connector: string,
  side: ConnectorSide,
  specification: Specification,
  config: ConduitConfig,
  logger: Logger,
): void {
  const { problems, unknown } = checkConfig(specification, side, config);
  if (problems.length) throw new ConfigError(connector, side, problems);
  if (unknown.length)
    logger.warn(`the ${side} config of "${connector}" has keys its specification does not list: ${unknown.join(", ")}`);
}

export class ConduitSourceDriver implements SourceDriver {
  readonly protocol = "conduit";
  /** What the last read did about the config: the lifecycle event it ran. */
  lifecycle: LifecycleOutcome | undefined;
  /** The position of the last record written, as text. */
  position: string | undefined;
  private specification: Specification | undefined;
  private readonly logger: Logger;

  constructor(
    readonly handle: ConduitConnectorHandle,
    private readonly settings: ConduitSourceSettings = {},
  ) {
    this.logger = settings.logger ?? silentLogger;
  }

  async spec(): Promise<SourceSpec> {
    const specification = await this.specify();
    return {
      name: specification.name || this.handle.name,
      version: specification.version,
      description: specification.summary || specification.description,
      optionsSchema: parametersSchema(specification, "source"),
    };
  }

  async check(options: string): Promise<CheckResult> {
    const config = parseConduitConfig(options, this.handle.name, "source");
    refuseInvalidConfig(this.handle.name, "source", await this.specify(), config, this.logger);
    return { ok: true, errors: [] };
  }

  /** Collections are known only as records arrive: see streamOf. */
  async discover(): Promise<StreamDescriptor[]> {
    return [];
  }

  streamOf(name: string): StreamDescriptor {
    return {
      name,
      jsonSchema: { properties: { [KEY_COLUMN]: { type: "string" } } },
      primaryKey: [KEY_COLUMN],
      syncModes: ["incremental"],
    };
  }

  async read(request: SourceReadRequest, sink: PageSink): Promise<ReadOutcome> {
    const config = parseConduitConfig(request.options, this.handle.name, "source");
    const saved = parseSaved(request.state, this.handle.name);
    const source = this.handle.source();
    await source.configure(config);
    const change = lifecycleChange(saved?.config, config);
    if (change) await source.lifecycle(change);
    this.lifecycle = change?.kind ?? "unchanged";
    const position = Buffer.from(saved?.position ?? "", "base64");
    this.logger.info(
      position.length
        ? `opening the source at the saved position ${bytesText(position)}`
        : "opening the source from the start (no saved position)",
    );
    await source.open(position);
    const stream = source.run();
    const reader = new SourceReader(stream, () => source.stop(), request.stop);
    let received = 0;
    await reader.each(
      async (batch) => {
        await this.deliver(batch, config, sink);
        received += batch.length;
        stream.ack(batch.map((record) => record.position));
      },
      () => received,
    );
    await source.teardown();
    return { stoppedBy: reader.stoppedBy, message: `stopped by ${reader.stoppedBy}` };
  }

  async close(): Promise<void> {
    try {
      await this.handle.close();
    } finally {
      await this.settings.onClose?.();
    }
  }

  /** A batch as one page per collection, in order; the position rides on the last, written with it. */
  private async deliver(batch: OpenCdcRecord[], config: ConduitConfig, sink: PageSink): Promise<void> {
    const byStream = new Map<string, Row[]>();
    for (const record of batch) {
      const change = recordToChange(this.settings.schemas ? this.settings.schemas.decode(record) : record);
      const row = change.delete ? deletion({ [KEY_COLUMN]: change.row[KEY_COLUMN] }) : change.row;
      (row as Record<symbol, unknown>)[SOURCE_RECORD] = record;
      const rows = byStream.get(change.stream) ?? [];
      rows.push(row);
      byStream.set(change.stream, rows);
    }
    const last = batch[batch.length - 1].position;
    const checkpoint = JSON.stringify({ config, position: last.toString("base64") } satisfies SavedConduitState);
    const pages = [...byStream];
    for (const [index, [stream, rows]] of pages.entries())
      await sink.page({ stream, rows, checkpoint: index === pages.length - 1 ? checkpoint : undefined });
    this.position = bytesText(last);
  }

  private async specify(): Promise<Specification> {
    this.specification ??= await this.handle.specify();
    return this.specification;
  }
}

function parseSaved(state: string, connector: string): SavedConduitState | undefined {
  if (!state) return undefined;
  try {
    return JSON.parse(state) as SavedConduitState;
  } catch (error) {
    throw new ConnectorProtocolError(`the saved state of "${connector}" is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Sluice's native protocol (proto/sluice/v1): Spec, Check, Discover as unary
 * calls, Read as a server stream of pages written one at a time, the next one
 * received and decoded while the one before it is written, and none read
 * beyond it: HTTP/2 flow control holds the connector back when the store falls
 * behind, so the host holds two pages whatever the sync's length.
 */
import type { ServiceError } from "@grpc/grpc-js";
import {
  type CheckResponse,
  type ConnectorClient,
  type DiscoverResponse,
  type SpecResponse,
  type Stream,
  SyncMode as WireSyncMode,
} from "../../protocol/gen/sluice/v1/connector.js";
import { decodeColumns, type Row } from "../../protocol/columns.js";
import { ExactConnectorClient, ExactReadMethod, type ReadPage } from "../../protocol/read-response.js";
import { type PluginClient, pullServerStream, unary } from "../../plugin/index.js";
import { ConnectorProtocolError, SluiceError } from "../../errors.js";
import type {
  CheckResult,
  SourceSpec,
  PageSink,
  ReadOutcome,
  SourceReadRequest,
  RecordPage,
  SourceDriver,
  StreamDescriptor,
  SyncMode,
} from "../types.js";
import { parseJsonExact } from "../../protocol/json.js";
import { SinkQueue } from "../sink-queue.js";

const syncModeNames: Record<number, SyncMode | undefined> = {
  [WireSyncMode.SYNC_MODE_FULL_REFRESH]: "full_refresh",
  [WireSyncMode.SYNC_MODE_INCREMENTAL]: "incremental",
};

export class NativeDriver implements SourceDriver {
  readonly protocol = "sluice";
  private readonly client: ConnectorClient;

  get transport(): string {
    return this.plugin.transport;
  }

  constructor(private readonly plugin: PluginClient) {
    this.client = plugin.service(ExactConnectorClient);
  }

  async spec(): Promise<SourceSpec> {
    const spec = await this.call<SpecResponse>((cb) => this.client.spec({}, cb));
    return {
      name: spec.name || this.plugin.name,
      version: spec.version,
      description: spec.description,
      optionsSchema: spec.optionsSchema
        ? (this.parseJson(spec.optionsSchema, "Spec.options_schema") as object)
        : undefined,
    };
  }

  async check(options: string): Promise<CheckResult> {
    const result = await this.call<CheckResponse>((cb) => this.client.check({ options }, cb));
    return { ok: result.ok, errors: result.errors };
  }

  async discover(options: string): Promise<StreamDescriptor[]> {
    const { streams } = await this.call<DiscoverResponse>((cb) => this.client.discover({ options }, cb));
    return streams.map((stream) => this.describe(stream));
  }

  async read(request: SourceReadRequest, sink: PageSink): Promise<ReadOutcome> {
    const call = pullServerStream(this.client, ExactReadMethod, {
      options: request.options,
      state: request.state,
      streams: request.streams.map((s) => ({
        name: s.name,
        syncMode:
          s.syncMode === "incremental" ? WireSyncMode.SYNC_MODE_INCREMENTAL : WireSyncMode.SYNC_MODE_FULL_REFRESH,
      })),
    });
    // A failed write cancels the stream at once, so the connector stops producing.
    const writes = new SinkQueue(sink, () => call.cancel());
    try {
      for await (const response of call) {
        const message = response.message;
        if (message?.$case === "page") await writes.page(this.decodePage(message.value));
        else if (message?.$case === "checkpoint") await writes.checkpoint(message.value.state);
      }
      await writes.settled();
      return {};
    } catch (error) {
      call.cancel();
      // The page being written ends (committed or not) before the failure is told, so what it reports is final.
      await writes.settled().catch(() => undefined);
      if (writes.failure) throw writes.failure.error;
      throw error instanceof SluiceError ? error : await this.plugin.explain(error);
    }
  }

  close(): Promise<void> {
    return this.plugin.close().then(() => undefined);
  }

  private decodePage(page: ReadPage): RecordPage {
    let rows: Row[] = [];
    if (page.records?.$case === "json") rows = this.parseRows(page.records.value.array, page.stream);
    else if (page.records?.$case === "columns") rows = decodeColumns(page.records.value);
    return {
      stream: page.stream,
      rows,
      checkpoint: page.checkpoint?.state || undefined,
      estimatedTotal: page.estimatedTotal || undefined,
    };
  }

  private parseRows(json: Buffer, stream: string): Row[] {
    const parsed = this.parseJson(json.toString("utf8"), `a page of stream "${stream}"`, parseJsonExact);
    if (!Array.isArray(parsed)) throw this.violation(`a page of stream "${stream}" is not a JSON array of records`);
    return parsed as Row[];
  }

  private describe(stream: Stream): StreamDescriptor {
    const schema = stream.jsonSchema
      ? this.parseJson(stream.jsonSchema, `the JSON schema of stream "${stream.name}"`)
      : {};
    const modes = stream.syncModes.map((m) => syncModeNames[m]).filter((m): m is SyncMode => m !== undefined);
    return {
      name: stream.name,
      jsonSchema: schema as StreamDescriptor["jsonSchema"],
      primaryKey: stream.primaryKey,
      cursorField: stream.cursorField || undefined,
      syncModes: modes.length ? modes : ["full_refresh"],
    };
  }

  private violation(problem: string): ConnectorProtocolError {
    return new ConnectorProtocolError(`connector "${this.plugin.name}": ${problem}`);
  }

  private parseJson(text: string, what: string, parse: (text: string) => unknown = JSON.parse): unknown {
    try {
      return parse(text);
    } catch (error) {
      throw this.violation(`${what} is not valid JSON (${(error as Error).message})`);
    }
  }

  private async call<T>(invoke: (callback: (error: ServiceError | null, response: T) => void) => unknown): Promise<T> {
    try {
      return await unary(invoke);
    } catch (error) {
      throw await this.plugin.explain(error);
    }
  }
}

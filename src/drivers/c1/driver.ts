/**
 * c1-core connectors (pidanou/c1-core's contract): the host serves
 * CallbackHandler on a broker id and calls Connector.Sync(options, id); the
 * connector calls Upsert once per page of DataObjects. Each page is written
 * before Upsert returns, so a store error reaches the connector (upstream only
 * logged it) and a crash loses nothing already acknowledged.
 */
import { type ServiceError, status as GrpcStatus } from "@grpc/grpc-js";
import {
  CallbackHandlerService,
  type CallbackHandlerServer,
  ConnectorClient,
  type DataObject,
} from "../../protocol/gen/c1/connector.js";
import { type PluginClient, unary } from "../../plugin/index.js";
import { messageOf } from "../../errors.js";
import type {
  CheckResult,
  SourceSpec,
  PageSink,
  ReadOutcome,
  SourceReadRequest,
  SourceDriver,
  StreamDescriptor,
} from "../types.js";

/** The one stream a c1-core connector has. */
export const C1_STREAM = "objects";

const dataObjectSchema = {
  type: "object",
  properties: {
    remote_id: { type: "string" },
    resource_name: { type: "string" },
    uri: { type: "string" },
    metadata: { type: "string", description: "JSON document" },
  },
  required: ["remote_id"],
};

export class C1Driver implements SourceDriver {
  readonly protocol = "c1";
  private readonly connector: ConnectorClient;

  get transport(): string {
    return this.plugin.transport;
  }

  constructor(private readonly plugin: PluginClient) {
    this.connector = plugin.service(ConnectorClient);
  }

  async spec(): Promise<SourceSpec> {
    return { name: this.plugin.name, version: "", description: "c1-core connector (options are a free-form string)" };
  }

  /** c1-core has no check call: options are only seen by Sync. */
  async check(): Promise<CheckResult> {
    return { ok: true, errors: [] };
  }

  async discover(): Promise<StreamDescriptor[]> {
    return [{ name: C1_STREAM, jsonSchema: dataObjectSchema, primaryKey: ["remote_id"], syncModes: ["full_refresh"] }];
  }

  async read(request: SourceReadRequest, sink: PageSink): Promise<ReadOutcome> {
    const broker = this.plugin.broker;
    const callbackId = broker.nextId();
    const pages = new PageSerializer(sink);
    await broker.acceptAndServe(callbackId, (server) => server.addService(CallbackHandlerService, pages.handler()));
    try {
      const end = await unary<{ metadata: string }>((cb) =>
        this.connector.sync({ options: request.options, callbackHandlerServer: callbackId }, cb),
      );
      await pages.drained();
      return { message: end.metadata };
    } catch (error) {
      // A store failure is the real cause even when the connector reports it back.
      throw pages.firstError ?? (await this.plugin.explain(error));
    } finally {
      broker.stopServing(callbackId);
    }
  }

  close(): Promise<void> {
    return this.plugin.close().then(() => undefined);
  }
}

/** Feeds Upsert pages to the sink one at a time, in arrival order. */
class PageSerializer {
  firstError: unknown;
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly sink: PageSink) {}

  handler(): CallbackHandlerServer {
    return {
      upsert: (call, callback) => {
        const rows = call.request.response.map(toRow);
        this.last = this.last.then(() =>
          this.firstError ? Promise.reject(this.firstError) : this.sink.page({ stream: C1_STREAM, rows }),
        );
        this.last.then(
          () => callback(null, {}),
          (error: unknown) => {
            this.firstError ??= error;
            callback({
              code: GrpcStatus.INTERNAL,
              details: `host could not store the page: ${messageOf(error)}`,
            } as ServiceError);
          },
        );
      },
      // In the contract, unused by c1-core's own host: nothing to clean.
      clean: (_call, callback) => callback(null, {}),
    };
  }

  drained(): Promise<void> {
    return this.last;
  }
}

function toRow(object: DataObject): Record<string, unknown> {
  return {
    remote_id: object.remoteId,
    resource_name: object.resourceName,
    uri: object.uri,
    metadata: object.metadata,
  };
}

/**
 * A standalone Conduit connector: its own process, started through
 * go-plugin with Conduit's cookie and the CONDUIT_CONNECTOR_* environment
 * (id, token and the host's connector utilities, log level, max record
 * size), spoken to over connector.v2.
 */
import { type ClientDuplexStream, Metadata, type ServiceError } from "@grpc/grpc-js";
import { ConnectorProtocolError, messageOf, SluiceError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { type LaunchCommand, PluginClient } from "../../plugin/index.js";
import {
  DestinationPluginClient,
  type Destination_Run_Request,
  type Destination_Run_Response,
} from "../../protocol/gen/connector/v2/destination.js";
import {
  SourcePluginClient,
  type Source_Run_Request,
  type Source_Run_Response,
} from "../../protocol/gen/connector/v2/source.js";
import { type Specification, SpecifierPluginClient } from "../../protocol/gen/connector/v2/specifier.js";
import {
  DestinationPluginClient as V1DestinationPluginClient,
  SourcePluginClient as V1SourcePluginClient,
  type Specifier_Specify_Response as V1Specification,
  SpecifierPluginClient as V1SpecifierPluginClient,
} from "../../protocol/gen/connector/v1/connector.js";
import { Validation_Type } from "../../protocol/gen/config/v1/parameter.js";
import { CONDUIT_HANDSHAKE } from "../../protocol/handshakes.js";
import type {
  ConduitConnectorHandle,
  DestinationAck,
  DestinationEndpoint,
  DestinationStream,
  LifecycleChange,
  SourceEndpoint,
  SourceStream,
} from "./endpoints.js";
import { Mailbox } from "./mailbox.js";
import type { OpenCdcRecord } from "./opencdc.js";
import type { ConduitConfig } from "./specification.js";
import type { ConnectorUtilities } from "./utilities.js";

/** Conduit's default: the SDK's gRPC server accepts messages up to 4 MiB. */
const MAX_RECEIVE_RECORD_SIZE = 4 * 1024 * 1024;

export interface StandaloneOptions {
  name: string;
  command: LaunchCommand;
  cwd?: string;
  /** CONDUIT_CONNECTOR_ID: names the connector in the connector's own logs. */
  connectorId: string;
  utilities: ConnectorUtilities;
  logger?: Logger;
  logLevel?: string;
  startTimeoutMs?: number;
}

/** What a standalone connector's process needs in its environment: the utilities, its id and token, limits. */
export function conduitEnvironment(
  utilities: ConnectorUtilities,
  connectorId: string,
  logLevel = "info",
): Record<string, string> {
  return {
    ...utilities.environmentFor(connectorId),
    CONDUIT_CONNECTOR_LOG_LEVEL: logLevel,
    CONDUIT_CONNECTOR_MAX_RECEIVE_RECORD_SIZE: String(MAX_RECEIVE_RECORD_SIZE),
  };
}

type Call<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: object,
  callback: (error: Error | null, response: Res) => void,
) => unknown;

/** A call's failure as the user needs it: the process's death with its output, or the connector's own message. */
async function explainCall(plugin: PluginClient, what: string, error: unknown): Promise<unknown> {
  const explained = await plugin.explain(error);
  if (explained !== error) return explained;
  const details = (error as Partial<ServiceError>).details ?? messageOf(error);
  return new SluiceError("CONNECTOR_FAILED", `connector "${plugin.name}" failed ${what}: ${details}`, { cause: error });
}

function call<Req, Res>(plugin: PluginClient, what: string, method: Call<Req, Res>, request: Req): Promise<Res> {
  return new Promise<Res>((resolve, reject) =>
    method(request, new Metadata(), {}, (error, response) => (error ? reject(error) : resolve(response))),
  ).catch(async (error: unknown) => {
    throw await explainCall(plugin, what, error);
  });
}

function lifecycleCall(
  plugin: PluginClient,
  client: SourceClient | DestinationClient,
  change: LifecycleChange,
): Promise<unknown> {
  return change.kind === "created"
    ? call(
        plugin,
        "LifecycleOnCreated",
        client.lifecycleOnCreated.bind(client) as Call<{ config: ConduitConfig }, object>,
        { config: change.config },
      )
    : call(
        plugin,
        "LifecycleOnUpdated",
        client.lifecycleOnUpdated.bind(client) as Call<
          { configBefore: ConduitConfig; configAfter: ConduitConfig },
          object
        >,
        {
          configBefore: change.before,
          configAfter: change.after,
        },
      );
}

type SourceClient = SourcePluginClient | V1SourcePluginClient;
type DestinationClient = DestinationPluginClient | V1DestinationPluginClient;

/** What differs on the wire between protocol versions 1 (one record per message, Start) and 2 (batches, Open). */
const isV1 = (client: SourceClient | DestinationClient): boolean =>
  client instanceof V1SourcePluginClient || client instanceof V1DestinationPluginClient;

/** What a standalone source and destination share: Configure, the lifecycle events, Teardown. */
abstract class StandaloneEndpoint<Client extends SourceClient | DestinationClient> {
  constructor(
    protected readonly plugin: PluginClient,
    protected readonly client: Client,
  ) {}

  async configure(config: ConduitConfig): Promise<void> {
    await call(
      this.plugin,
      "Configure",
      this.client.configure.bind(this.client) as Call<{ config: ConduitConfig }, object>,
      { config },
    );
  }

  async lifecycle(change: LifecycleChange): Promise<void> {
    await lifecycleCall(this.plugin, this.client, change);
  }

  async teardown(): Promise<void> {
    await call(this.plugin, "Teardown", this.client.teardown.bind(this.client) as Call<object, object>, {});
  }
}

class StandaloneSource extends StandaloneEndpoint<SourceClient> implements SourceEndpoint {
  async open(position: Buffer): Promise<void> {
    const client = this.client;
    if (client instanceof V1SourcePluginClient)
      await call(this.plugin, "Start", client.start.bind(client) as Call<{ position: Buffer }, object>, { position });
    else await call(this.plugin, "Open", client.open.bind(client) as Call<{ position: Buffer }, object>, { position });
  }

  run(): SourceStream {
    const v1 = isV1(this.client);
    const stream = this.client.run() as ClientDuplexStream<object, Source_Run_Response & { record?: OpenCdcRecord }>;
    let closing = false;
    const records = new Mailbox<OpenCdcRecord[]>(
      v1 ? 1024 : 16,
      () => stream.pause(),
      () => stream.resume(),
    );
    stream.on("data", (response: Source_Run_Response & { record?: OpenCdcRecord }) =>
      records.push(v1 ? (response.record ? [response.record] : []) : response.records),
    );
    stream.on("end", () => records.end());
    // Failed now, explained when the process's fate is known: the "end" gRPC emits next must not read as a clean end.
    stream.on("error", (error) => (closing ? records.end() : records.fail(this.plugin.explain(error))));
    return {
      next: () => records.next(),
      ack: (positions) => {
        if (v1)
          for (const position of positions)
            stream.write({ ackPosition: position } satisfies Partial<Source_Run_Request> | object);
        else stream.write({ ackPositions: positions } satisfies Source_Run_Request);
      },
      close: () => {
        closing = true;
        stream.cancel();
      },
    };
  }

  async stop(): Promise<Buffer> {
    const response = await call(
      this.plugin,
      "Stop",
      this.client.stop.bind(this.client) as Call<object, { lastPosition: Buffer }>,
      {},
    );
    return response.lastPosition;
  }
}

class StandaloneDestination extends StandaloneEndpoint<DestinationClient> implements DestinationEndpoint {
  async open(): Promise<void> {
    const client = this.client;
    if (client instanceof V1DestinationPluginClient)
      await call(this.plugin, "Start", client.start.bind(client) as Call<object, object>, {});
    else await call(this.plugin, "Open", client.open.bind(client) as Call<object, object>, {});
  }

  run(): DestinationStream {
    const v1 = isV1(this.client);
    type V1Ack = { ackPosition?: Buffer; error?: string };
    const stream = this.client.run() as ClientDuplexStream<object, Destination_Run_Response & V1Ack>;
    let closing = false;
    const acks = new Mailbox<DestinationAck[]>(1024);
    stream.on("data", (response: Destination_Run_Response & V1Ack) =>
      acks.push(
        v1 ? [{ position: response.ackPosition ?? Buffer.alloc(0), error: response.error ?? "" }] : response.acks,
      ),
    );
    stream.on("end", () => acks.end());
    stream.on("error", (error) => (closing ? acks.end() : acks.fail(this.plugin.explain(error))));
    const write = (records: OpenCdcRecord[]): boolean => {
      if (!v1) return stream.write({ records } satisfies Destination_Run_Request);
      let room = true;
      for (const record of records) room = stream.write({ record });
      return room;
    };
    return {
      // Written, or the stream is gone: then the ack mailbox holds the failure, and the pipeline reads it from there.
      send: (records) =>
        new Promise<void>((resolve) => {
          if (write(records) || stream.destroyed) return resolve();
          const done = () => {
            stream.off("drain", done).off("close", done);
            resolve();
          };
          stream.on("drain", done).on("close", done);
        }),
      nextAcks: () => acks.next(),
      close: () => {
        closing = true;
        stream.cancel();
      },
    };
  }

  async stop(lastPosition: Buffer): Promise<void> {
    await call(this.plugin, "Stop", this.client.stop.bind(this.client) as Call<{ lastPosition: Buffer }, object>, {
      lastPosition,
    });
  }
}

/** A v1 specification in v2's shape: same enum numbers; the deprecated `required` flag becomes a validation. */
function fromV1(response: V1Specification): Specification {
  const params = (v1: V1Specification["sourceParams"]) =>
    Object.fromEntries(
      Object.entries(v1).map(([name, p]) => {
        const validations = p.validations.map((v) => ({ type: v.type as number as Validation_Type, value: v.value }));
        if (p.required && !validations.some((v) => v.type === Validation_Type.TYPE_REQUIRED))
          validations.push({ type: Validation_Type.TYPE_REQUIRED, value: "" });
        return [name, { default: p.default, description: p.description, type: p.type as number, validations }];
      }),
    );
  const { name, summary, description, version, author } = response;
  return {
    name,
    summary,
    description,
    version,
    author,
    sourceParams: params(response.sourceParams),
    destinationParams: params(response.destinationParams),
  };
}

export class StandaloneConnector implements ConduitConnectorHandle {
  readonly mode = "standalone";

  private constructor(
    readonly name: string,
    private readonly plugin: PluginClient,
  ) {}

  static async start(options: StandaloneOptions): Promise<StandaloneConnector> {
    const plugin = await PluginClient.start({
      name: options.name,
      command: options.command,
      cwd: options.cwd,
      logger: options.logger,
      startTimeoutMs: options.startTimeoutMs,
      handshakes: [CONDUIT_HANDSHAKE],
      env: conduitEnvironment(options.utilities, options.connectorId, options.logLevel),
    });
    return new StandaloneConnector(options.name, plugin);
  }

  /** A plugin already started with Conduit's cookie and environment (protocol detection started it). */
  static fromPlugin(name: string, plugin: PluginClient): StandaloneConnector {
    return new StandaloneConnector(name, plugin);
  }

  /** The protocol version the connector chose (1 or 2). */
  get protocolVersion(): number {
    return this.plugin.handshake.appVersion;
  }

  async specify(): Promise<Specification> {
    if (this.protocolVersion === 1) {
      const client = this.plugin.service(V1SpecifierPluginClient);
      return fromV1(
        await call(this.plugin, "Specify", client.specify.bind(client) as Call<object, V1Specification>, {}),
      );
    }
    const client = this.plugin.service(SpecifierPluginClient);
    const response = await call(
      this.plugin,
      "Specify",
      client.specify.bind(client) as Call<object, { specification?: Specification }>,
      {},
    );
    if (!response.specification)
      throw new ConnectorProtocolError(`connector "${this.name}" answered Specify without a specification`);
    return response.specification;
  }

  source(): SourceEndpoint {
    return new StandaloneSource(
      this.plugin,
      this.protocolVersion === 1 ? this.plugin.service(V1SourcePluginClient) : this.plugin.service(SourcePluginClient),
    );
  }

  destination(): DestinationEndpoint {
    return new StandaloneDestination(
      this.plugin,
      this.protocolVersion === 1
        ? this.plugin.service(V1DestinationPluginClient)
        : this.plugin.service(DestinationPluginClient),
    );
  }

  async close(): Promise<void> {
    await this.plugin.close();
  }
}

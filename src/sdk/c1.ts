/**
 * A c1-core connector in TypeScript: implement `sync(options, pages)` and call
 * `serveC1Connector`. The process is then a go-plugin plugin with c1-core's
 * handshake, so c1-core's own Go host runs it unchanged; pages go back through
 * the host's CallbackHandler, dialled over the go-plugin broker.
 */
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import {
  CallbackHandlerClient,
  ConnectorService,
  type ConnectorServer,
  type DataObject,
} from "../protocol/gen/c1/connector.js";
import { type Broker, openChannel, servePlugin, type ServedPlugin, serviceClient, unary } from "../plugin/index.js";
import { C1_HANDSHAKE } from "../protocol/handshakes.js";
import { messageOf } from "../errors.js";

export type { DataObject };

export interface C1Pages {
  /** Sends one page to the host; resolves once the host has stored it. */
  upsert(objects: DataObject[]): Promise<void>;
}

export interface C1Connector {
  /** Reads everything and sends it page by page; returns EndSync's metadata (JSON text). */
  sync(options: string, pages: C1Pages): Promise<string>;
}

export function serveC1Connector(connector: C1Connector): Promise<ServedPlugin> {
  return servePlugin({
    magicCookieKey: C1_HANDSHAKE.magicCookieKey,
    magicCookieValue: C1_HANDSHAKE.magicCookieValue,
    versions: { 1: (server, broker) => server.addService(ConnectorService, c1Service(connector, broker)) },
  });
}

function c1Service(connector: C1Connector, broker: Broker): ConnectorServer {
  return {
    sync: (call, callback) => {
      const run = async () => {
        const endpoint = await broker.dial(call.request.callbackHandlerServer);
        const channel = openChannel(endpoint, broker.tls);
        const host = serviceClient(CallbackHandlerClient, channel);
        try {
          const pages: C1Pages = {
            upsert: async (objects) => void (await unary((cb) => host.upsert({ response: objects }, cb))),
          };
          return { metadata: await connector.sync(call.request.options, pages) };
        } finally {
          channel.close();
        }
      };
      run().then(
        (end) => callback(null, end),
        (error: unknown) => callback({ code: GrpcStatus.UNKNOWN, details: messageOf(error) } as ServiceError),
      );
    },
  };
}

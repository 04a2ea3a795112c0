/**
 * Sockets and channels: where plugin gRPC servers listen (a unix socket in a
 * private temp folder) and how clients reach an announced address. The one
 * place that knows grpc-js target and option spellings.
 */
import * as grpc from "@grpc/grpc-js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateFolder } from "../process/index.js";

/** Big pages are the point; gRPC's 4 MiB default would cut them. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * HTTP/2 flow-control window for streams from a plugin. The 64 KiB default
 * holds a connector back until the host has read each page, so producing and
 * storing run in turn; a larger window lets the connector produce the next
 * pages while the host writes. The bytes in the window wait in the host, so
 * it stays small: about two pages of 5000 typical records. A bigger window
 * was no faster and cost the host 30 MB (docs/stores.md, "Memory").
 */
const FLOW_CONTROL_WINDOW_BYTES = 2 * 1024 * 1024;

const channelOptions: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW_BYTES,
};

/** go-plugin's AutoMTLS certificates name "localhost" on both sides. */
export const TLS_SERVER_NAME = "localhost";

/** Both credentials one side needs once it trusts the other side's certificate (see mtls.ts). */
export interface TlsContext {
  client: grpc.ChannelCredentials;
  server: grpc.ServerCredentials;
}

export interface Endpoint {
  network: "unix" | "tcp";
  address: string;
}

export function grpcTarget(endpoint: Endpoint): string {
  return endpoint.network === "unix" ? `unix:${endpoint.address}` : endpoint.address;
}

export function openChannel(endpoint: Endpoint, tls?: TlsContext): grpc.Channel {
  if (!tls) return new grpc.Channel(grpcTarget(endpoint), grpc.credentials.createInsecure(), channelOptions);
  return new grpc.Channel(grpcTarget(endpoint), tls.client, {
    ...channelOptions,
    "grpc.ssl_target_name_override": TLS_SERVER_NAME,
    "grpc.default_authority": TLS_SERVER_NAME,
  });
}

export type ClientConstructor<T> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => T;

/** A generated service client on an existing channel, so services share one connection. */
export function serviceClient<T>(Client: ClientConstructor<T>, channel: grpc.Channel): T {
  return new Client(channel.getTarget(), grpc.credentials.createInsecure(), {
    ...channelOptions,
    channelOverride: channel,
  });
}

export function newServer(): grpc.Server {
  return new grpc.Server(channelOptions);
}

/** A private folder for sockets, removed by the returned cleanup. */
export function makeSocketDir(parent = tmpdir()): { dir: string; remove(): void } {
  const folder = privateFolder("plugin", parent);
  return { dir: folder.path, remove: folder.remove };
}

/** Starts `server` on a new unix socket inside `dir`. */
export function listenUnix(server: grpc.Server, dir: string, name: string, tls?: TlsContext): Promise<Endpoint> {
  const address = join(dir, name);
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix:${address}`, tls?.server ?? grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve({ network: "unix", address }),
    );
  });
}

/** Promise form of a generated unary method: `unary((cb) => client.method(request, cb))`. */
export function unary<T>(
  invoke: (callback: (error: grpc.ServiceError | null, response: T) => void) => unknown,
): Promise<T> {
  return new Promise((resolve, reject) => {
    invoke((error, response) => (error ? reject(error) : resolve(response)));
  });
}

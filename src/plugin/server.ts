/**
 * The plugin half of go-plugin, for connectors written in TypeScript: check
 * the magic cookie, negotiate the app protocol version, serve on a unix socket
 * (health "plugin", broker, controller, stdio and the connector's own
 * services), then print the handshake line; exit on Shutdown, or when the
 * host is gone. A real go-plugin host (Go) can run such a connector unchanged.
 */
import type * as grpc from "@grpc/grpc-js";
import {
  HealthCheckResponse_ServingStatus,
  HealthService,
  type HealthServer,
} from "../protocol/gen/grpc/health/v1/health.js";
import { GRPCBrokerService, type GRPCBrokerServer } from "../protocol/gen/plugin/grpc_broker.js";
import { GRPCControllerService, type GRPCControllerServer } from "../protocol/gen/plugin/grpc_controller.js";
import { GRPCStdioService } from "../protocol/gen/plugin/grpc_stdio.js";
import { Broker } from "./broker.js";
import { formatHandshakeLine, NOT_A_PLUGIN_MESSAGE, negotiateVersion, PluginEnv } from "./handshake.js";
import { watchHost } from "./host-watch.js";
import { StdoutCapture } from "./stdio.js";
import { listenUnix, makeSocketDir, newServer, type TlsContext } from "./transport.js";

export interface ServePluginOptions {
  magicCookieKey: string;
  magicCookieValue: string;
  /** For each app protocol version served: add that version's services. */
  versions: Record<number, (server: grpc.Server, broker: Broker) => void>;
}

export interface ServedPlugin {
  appVersion: number;
  broker: Broker;
  /** Stops serving and exits the process. */
  shutdown(exitCode?: number): void;
}

/** Exits with a message on stderr, as go-plugin plugins do on a bad start. */
function refuse(message: string): never {
  process.stderr.write(message + "\n");
  process.exit(1);
}

export async function servePlugin(options: ServePluginOptions): Promise<ServedPlugin> {
  if (process.env[options.magicCookieKey] !== options.magicCookieValue) refuse(NOT_A_PLUGIN_MESSAGE);
  const supported = Object.keys(options.versions).map(Number);
  const hostOffer = process.env[PluginEnv.protocolVersions];
  const appVersion = negotiateVersion(supported, hostOffer);
  if (appVersion === undefined) {
    refuse(
      `Incompatible API version with plugin. Plugin versions: ${supported.join(",")}, host versions: ${hostOffer}`,
    );
  }

  const sockets = makeSocketDir(process.env[PluginEnv.unixSocketDir] || undefined);
  const mtls = await autoMTLS(process.env[PluginEnv.clientCert]);
  const server = newServer();
  const broker = new Broker(sockets.dir, mtls?.tls);
  const stdout = new StdoutCapture();
  let stopping = false;
  const shutdown = (exitCode = 0): void => {
    if (stopping) return; // closing the server closes the broker stream, which reports the host gone
    stopping = true;
    broker.close();
    server.forceShutdown();
    sockets.remove();
    process.exit(exitCode);
  };

  // A host killed with `kill -9` cannot call Shutdown: exit when it is gone (see host-watch.ts).
  const host = watchHost((why) => {
    process.stderr.write(`${why}: the host is gone, so the plugin exits\n`);
    shutdown(0);
  });

  server.addService(HealthService, healthService());
  const brokerService: GRPCBrokerServer = {
    startStream: (call) => {
      broker.attach(call);
      host.broker(call);
    },
  };
  const controllerService: GRPCControllerServer = {
    shutdown: (_call, callback) => {
      callback(null, {});
      setImmediate(() => shutdown(0));
    },
  };
  server.addService(GRPCBrokerService, brokerService);
  server.addService(GRPCControllerService, controllerService);
  server.addService(GRPCStdioService, stdout.service());
  options.versions[appVersion](server, broker);

  const endpoint = await listenUnix(server, sockets.dir, "plugin.sock", mtls?.tls);
  const serverCert = mtls?.certField ?? "";
  const line = formatHandshakeLine({
    appVersion,
    network: endpoint.network,
    address: endpoint.address,
    serverCert,
    multiplexed: false,
  });
  process.stdout.write(line);
  stdout.install();
  return { appVersion, broker, shutdown };
}

/** With the host's certificate in PLUGIN_CLIENT_CERT, serve TLS and trust only that certificate. */
async function autoMTLS(hostCertPem: string | undefined): Promise<{ tls: TlsContext; certField: string } | undefined> {
  if (!hostCertPem) return undefined;
  const { generateIdentity, handshakeCertField, tlsContext } = await import("./mtls.js");
  const identity = await generateIdentity();
  return { tls: tlsContext(identity, hostCertPem), certField: handshakeCertField(identity) };
}

function healthService(): HealthServer {
  const servingStatus = (service: string) =>
    service === "" || service === "plugin"
      ? HealthCheckResponse_ServingStatus.SERVING
      : HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
  return {
    check: (call, callback) => callback(null, { status: servingStatus(call.request.service) }),
    watch: (call) => {
      call.write({ status: servingStatus(call.request.service) });
    },
  };
}

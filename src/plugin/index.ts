/**
 * src/plugin — HashiCorp go-plugin's wire protocol in TypeScript, both halves:
 * the host (client.ts: launch, handshake, health, broker, stdio, shutdown) and
 * the plugin server (server.ts). One concept per file.
 *
 * May import: src/protocol, src/process, src/logging.ts, src/errors.ts. Knows
 * nothing of stores, drivers, the engine or the CLI.
 */
export { Broker, BrokerDialTimeout } from "./broker.js";
export { PluginClient, type PluginClientOptions } from "./client.js";
export { isGrpcStatus, PluginError, PluginErrorCode } from "./errors.js";
export { type HandshakeConfig, NOT_A_PLUGIN_MESSAGE } from "./handshake.js";
export { describeCommand, type LaunchCommand } from "../process/index.js";
export { type PulledStream, pullServerStream } from "./pulled-stream.js";
export { servePlugin, type ServedPlugin, type ServePluginOptions } from "./server.js";
export { openChannel, serviceClient, unary } from "./transport.js";

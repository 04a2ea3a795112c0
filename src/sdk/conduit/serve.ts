/**
 * Serves a TypeScript connector as a standalone Conduit connector: a
 * go-plugin plugin with Conduit's cookie speaking connector.v2, so Conduit
 * (or its Go client) runs it like any connector built with Conduit's SDK.
 */
import { type handleUnaryCall, type ServiceError, status as GrpcStatus } from "@grpc/grpc-js";
import { messageOf } from "../../errors.js";
import { servePlugin, type ServedPlugin } from "../../plugin/index.js";
import { DestinationPluginService, type DestinationPluginServer } from "../../protocol/gen/connector/v2/destination.js";
import { SourcePluginService, type SourcePluginServer } from "../../protocol/gen/connector/v2/source.js";
import { SpecifierPluginService, type SpecifierPluginServer } from "../../protocol/gen/connector/v2/specifier.js";
import { CONDUIT_HANDSHAKE } from "../../protocol/handshakes.js";
import { DestinationRunner, SourceRunner } from "./runners.js";
import { toSpecification } from "./specification.js";
import type { ConduitConnector, ConduitDestination, ConduitSource, Lifecycle } from "./types.js";

type Callback<T> = Parameters<handleUnaryCall<unknown, T>>[1];

/** Runs `work` and answers the call with its result, or with its error's message. */
function answer<T>(callback: Callback<T>, work: () => Promise<T>): void {
  work().then(
    (value) => callback(null, value),
    (error: unknown) => callback({ code: GrpcStatus.UNKNOWN, details: messageOf(error) } as ServiceError),
  );
}

function needs<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} first`);
  return value;
}

type Config = Record<string, string>;

/** The lifecycle calls, the same for sources and destinations; a connector without the hook just answers. */
function lifecycle(target: () => Lifecycle | undefined) {
  const onCreated: handleUnaryCall<{ config: Config }, object> = (call, callback) =>
    answer(callback, async () => (await target()?.lifecycleOnCreated?.(call.request.config), {}));
  const onUpdated: handleUnaryCall<{ configBefore: Config; configAfter: Config }, object> = (call, callback) =>
    answer(callback, async () => (await target()?.lifecycleOnUpdated?.(call.request.configBefore, call.request.configAfter), {}));
  const onDeleted: handleUnaryCall<{ config: Config }, object> = (call, callback) =>
    answer(callback, async () => (await target()?.lifecycleOnDeleted?.(call.request.config), {}));
  return { lifecycleOnCreated: onCreated, lifecycleOnUpdated: onUpdated, lifecycleOnDeleted: onDeleted };
}

function sourceService(connector: ConduitConnector): SourcePluginServer {
  let source: ConduitSource | undefined;
  let runner: SourceRunner | undefined;
  const create = () => (source ??= needs(connector.source, `connector "${connector.specification.name}" has no source; asking for one`)());
  return {
    configure: (call, callback) => answer(callback, async () => (await create().configure(call.request.config), {})),
    open: (call, callback) =>
      answer(callback, async () => {
        await needs(source, "Configure").open(call.request.position);
        runner = new SourceRunner(source!);
        return {};
      }),
    run: (call) => {
      const active = runner;
      if (!active) return call.destroy(new Error("Open first"));
      call.on("data", (request: { ackPositions: Buffer[] }) => void active.ack(request.ackPositions).catch((error: unknown) => call.destroy(error as Error)));
      call.on("error", () => void active.stop());
      call.on("cancelled", () => void active.stop());
      active
        .start((records) => new Promise<void>((resolve) => (call.write({ records }) ? resolve() : call.once("drain", () => resolve()))))
        .catch((error: unknown) => call.destroy(error as Error));
    },
    stop: (_call, callback) => answer(callback, async () => ({ lastPosition: await needs(runner, "Open").stop() })),
    teardown: (_call, callback) => answer(callback, async () => (await runner?.stop(), await source?.teardown(), {})),
    ...lifecycle(() => source),
  } as SourcePluginServer;
}

function destinationService(connector: ConduitConnector): DestinationPluginServer {
  let destination: ConduitDestination | undefined;
  let runner: DestinationRunner | undefined;
  const create = () => (destination ??= needs(connector.destination, `connector "${connector.specification.name}" has no destination; asking for one`)());
  return {
    configure: (call, callback) => answer(callback, async () => (await create().configure(call.request.config), {})),
    open: (_call, callback) =>
      answer(callback, async () => {
        await needs(destination, "Configure").open();
        runner = new DestinationRunner(destination!);
        return {};
      }),
    run: (call) => {
      const active = runner;
      if (!active) return call.destroy(new Error("Open first"));
      call.on("data", (request: { records: Parameters<DestinationRunner["write"]>[0] }) => {
        active.write(request.records).then((acks) => call.write({ acks }), (error: unknown) => call.destroy(error as Error));
      });
      call.on("error", () => {});
    },
    stop: (call, callback) => answer(callback, async () => (await needs(runner, "Open").stop(call.request.lastPosition), {})),
    teardown: (_call, callback) => answer(callback, async () => (await destination?.teardown(), {})),
    ...lifecycle(() => destination),
  } as DestinationPluginServer;
}

export function serveConduitConnector(connector: ConduitConnector): Promise<ServedPlugin> {
  return servePlugin({
    magicCookieKey: CONDUIT_HANDSHAKE.magicCookieKey,
    magicCookieValue: CONDUIT_HANDSHAKE.magicCookieValue,
    versions: {
      2: (server) => {
        const specifier: SpecifierPluginServer = {
          specify: (_call, callback) => callback(null, { specification: toSpecification(connector.specification) }),
        };
        server.addService(SpecifierPluginService, specifier);
        server.addService(SourcePluginService, sourceService(connector));
        server.addService(DestinationPluginService, destinationService(connector));
      },
    },
  });
}

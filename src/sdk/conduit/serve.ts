/**
 * Serves a TypeScript connector as a standalone Conduit connector: a
 * go-plugin plugin with Conduit's cookie speaking connector.v2, so Conduit
 * (or its Go client) runs it like any connector built with Conduit's SDK.
 */
import {
  type handleUnaryCall,
  type Server,
  type ServerDuplexStream,
  type ServiceError,
  status as GrpcStatus,
} from "@grpc/grpc-js";
import { messageOf, SluiceError } from "../../errors.js";
import { servePlugin, type ServedPlugin } from "../../plugin/index.js";
import { DestinationPluginService, type DestinationPluginServer } from "../../protocol/gen/connector/v2/destination.js";
import { SourcePluginService, type SourcePluginServer } from "../../protocol/gen/connector/v2/source.js";
import { SpecifierPluginService, type SpecifierPluginServer } from "../../protocol/gen/connector/v2/specifier.js";
import {
  DestinationPluginService as V1DestinationPluginService,
  type DestinationPluginServer as V1DestinationPluginServer,
  SourcePluginService as V1SourcePluginService,
  type SourcePluginServer as V1SourcePluginServer,
  SpecifierPluginService as V1SpecifierPluginService,
  type SpecifierPluginServer as V1SpecifierPluginServer,
} from "../../protocol/gen/connector/v1/connector.js";
import { CONDUIT_HANDSHAKE } from "../../protocol/handshakes.js";
import { DestinationRunner, SourceRunner } from "./runners.js";
import { configureChecked, toSpecification, toV1Specification } from "./specification.js";
import type { ConduitConnector, ConduitDestination, ConduitSource, Lifecycle, OpenCdcRecord } from "./types.js";

type Callback<T> = Parameters<handleUnaryCall<unknown, T>>[1];

/** Runs `work` and answers the call with its result, or with its error's message. */
function answer<T>(callback: Callback<T>, work: () => Promise<T>): void {
  work().then(
    (value) => callback(null, value),
    (error: unknown) => callback({ code: GrpcStatus.UNKNOWN, details: messageOf(error) } as ServiceError),
  );
}

function needs<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new SluiceError("CALL_OUT_OF_ORDER", `${what} first`);
  return value;
}

type Config = Record<string, string>;

/** The lifecycle calls, the same for sources and destinations; a connector without the hook just answers. */
function lifecycle(target: () => Lifecycle | undefined) {
  const onCreated: handleUnaryCall<{ config: Config }, object> = (call, callback) =>
    answer(callback, async () => (await target()?.lifecycleOnCreated?.(call.request.config), {}));
  const onUpdated: handleUnaryCall<{ configBefore: Config; configAfter: Config }, object> = (call, callback) =>
    answer(
      callback,
      async () => (await target()?.lifecycleOnUpdated?.(call.request.configBefore, call.request.configAfter), {}),
    );
  const onDeleted: handleUnaryCall<{ config: Config }, object> = (call, callback) =>
    answer(callback, async () => (await target()?.lifecycleOnDeleted?.(call.request.config), {}));
  return { lifecycleOnCreated: onCreated, lifecycleOnUpdated: onUpdated, lifecycleOnDeleted: onDeleted };
}

/**
 * Ends a Run stream with the error as its status (UNKNOWN, the message as
 * details), as Conduit's Go SDK does when Run returns an error. `destroy`
 * would drop the call without any status, and the host would wait forever.
 */
function endWithError(call: ServerDuplexStream<unknown, unknown>, error: unknown): void {
  call.emit("error", { code: GrpcStatus.UNKNOWN, details: messageOf(error) });
}

/** Version 1 sends one record per message and calls Open "Start"; version 2 batches. */
type Version = 1 | 2;

function sourceService(connector: ConduitConnector, version: Version): SourcePluginServer {
  let source: ConduitSource | undefined;
  let runner: SourceRunner | undefined;
  const create = () =>
    (source ??= needs(connector.source, `connector "${connector.specification.name}" has no source; asking for one`)());
  const open: handleUnaryCall<{ position: Buffer }, object> = (call, callback) =>
    answer(callback, async () => {
      await needs(source, "Configure").open(call.request.position);
      runner = new SourceRunner(source!);
      return {};
    });
  return {
    configure: (call, callback) =>
      answer(
        callback,
        async () => (await configureChecked(connector.specification, "source", create(), call.request.config), {}),
      ),
    [version === 1 ? "start" : "open"]: open,
    run: (call: ServerDuplexStream<{ ackPositions?: Buffer[]; ackPosition?: Buffer }, object>) => {
      const active = runner;
      if (!active) return endWithError(call, new SluiceError("CALL_OUT_OF_ORDER", "Open first"));
      call.on("data", (request: { ackPositions?: Buffer[]; ackPosition?: Buffer }) => {
        const positions = version === 1 ? [request.ackPosition ?? Buffer.alloc(0)] : (request.ackPositions ?? []);
        void active.ack(positions).catch((error: unknown) => endWithError(call, error));
      });
      call.on("error", () => void active.stop());
      call.on("cancelled", () => void active.stop());
      const write = (records: OpenCdcRecord[]): boolean => {
        if (version === 2) return call.write({ records });
        let room = true;
        for (const record of records) room = call.write({ record });
        return room;
      };
      active
        .start(
          (records) =>
            new Promise<void>((resolve) => (write(records) ? resolve() : call.once("drain", () => resolve()))),
        )
        .catch((error: unknown) => endWithError(call, error));
    },
    stop: (_call, callback) => answer(callback, async () => ({ lastPosition: await needs(runner, "Open").stop() })),
    teardown: (_call, callback) => answer(callback, async () => (await runner?.stop(), await source?.teardown(), {})),
    ...lifecycle(() => source),
  } as SourcePluginServer;
}

function destinationService(connector: ConduitConnector, version: Version): DestinationPluginServer {
  let destination: ConduitDestination | undefined;
  let runner: DestinationRunner | undefined;
  const create = () =>
    (destination ??= needs(
      connector.destination,
      `connector "${connector.specification.name}" has no destination; asking for one`,
    )());
  const open: handleUnaryCall<object, object> = (_call, callback) =>
    answer(callback, async () => {
      await needs(destination, "Configure").open();
      runner = new DestinationRunner(destination!);
      return {};
    });
  return {
    configure: (call, callback) =>
      answer(
        callback,
        async () => (await configureChecked(connector.specification, "destination", create(), call.request.config), {}),
      ),
    [version === 1 ? "start" : "open"]: open,
    run: (call: ServerDuplexStream<{ records?: OpenCdcRecord[]; record?: OpenCdcRecord }, object>) => {
      const active = runner;
      if (!active) return endWithError(call, "Open first");
      call.on("data", (request: { records?: OpenCdcRecord[]; record?: OpenCdcRecord }) => {
        const records = version === 1 ? (request.record ? [request.record] : []) : (request.records ?? []);
        active.write(records).then(
          (acks) => {
            if (version === 2) call.write({ acks });
            else for (const ack of acks) call.write({ ackPosition: ack.position, error: ack.error });
          },
          (error: unknown) => endWithError(call, error),
        );
      });
      call.on("error", () => {});
    },
    stop: (call, callback) =>
      answer(callback, async () => (await needs(runner, "Open").stop(call.request.lastPosition), {})),
    teardown: (_call, callback) => answer(callback, async () => (await destination?.teardown(), {})),
    ...lifecycle(() => destination),
  } as DestinationPluginServer;
}

export interface ServeConduitOptions {
  /** The protocol versions offered to the host, which picks the highest it knows. Default: 1 and 2. */
  protocolVersions?: Version[];
}

export function serveConduitConnector(
  connector: ConduitConnector,
  options: ServeConduitOptions = {},
): Promise<ServedPlugin> {
  const services: Record<Version, (server: Server) => void> = {
    1: (server) => {
      server.addService(V1SpecifierPluginService, {
        specify: (_call, callback) => callback(null, toV1Specification(connector.specification)),
      } satisfies V1SpecifierPluginServer);
      server.addService(V1SourcePluginService, sourceService(connector, 1) as unknown as V1SourcePluginServer);
      server.addService(
        V1DestinationPluginService,
        destinationService(connector, 1) as unknown as V1DestinationPluginServer,
      );
    },
    2: (server) => {
      server.addService(SpecifierPluginService, {
        specify: (_call, callback) => callback(null, { specification: toSpecification(connector.specification) }),
      } satisfies SpecifierPluginServer);
      server.addService(SourcePluginService, sourceService(connector, 2));
      server.addService(DestinationPluginService, destinationService(connector, 2));
    },
  };
  const versions = options.protocolVersions ?? [1, 2];
  return servePlugin({
    magicCookieKey: CONDUIT_HANDSHAKE.magicCookieKey,
    magicCookieValue: CONDUIT_HANDSHAKE.magicCookieValue,
    versions: Object.fromEntries(versions.map((version) => [version, services[version]])),
  });
}

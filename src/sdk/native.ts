/**
 * The TypeScript SDK for Sluice's native protocol: implement `Connector`, call
 * `serveConnector`. The process becomes a go-plugin plugin that any Sluice
 * host (or any go-plugin host speaking sluice.v1) can run.
 */
import { status as GrpcStatus, type ServerWritableStream, type ServiceError } from "@grpc/grpc-js";
import { once } from "node:events";
import {
  type ColumnarRecords,
  ConnectorService,
  type ConnectorServer,
  type ReadRequest as WireReadRequest,
  type ReadResponse,
  SyncMode as WireSyncMode,
} from "../protocol/gen/sluice/v1/connector.js";
import { encodeColumns, type Row } from "../protocol/columns.js";
import { jsonText } from "../protocol/json.js";
import { servePlugin, type ServedPlugin } from "../plugin/index.js";
import { SLUICE_HANDSHAKE } from "../protocol/handshakes.js";
import { messageOf, SluiceError } from "../errors.js";
import type { SyncMode } from "../protocol/sync-mode.js";

export type { SyncMode };

export interface ConnectorSpec {
  name: string;
  version: string;
  description?: string;
  /** JSON Schema of the options (which are then JSON). */
  optionsSchema?: object;
}

export interface StreamDefinition {
  name: string;
  jsonSchema: object;
  primaryKey?: string[];
  cursorField?: string;
  syncModes?: SyncMode[];
}

export interface ReadRequest {
  options: string;
  streams: { name: string; syncMode: SyncMode }[];
  /** The state last checkpointed (parsed JSON), undefined on a first run. */
  state: unknown;
}

export interface PageOptions {
  /** State to save once this page is durable (any JSON value). */
  checkpoint?: unknown;
  /** Estimated total records of the stream, for progress bars. */
  estimatedTotal?: number;
  /** Send column by column instead of as a JSON array. */
  columnar?: boolean;
}

export interface PageWriter {
  /** Sends one page; resolves when the transport can take more (backpressure). */
  write(stream: string, records: Row[], options?: PageOptions): Promise<void>;
  /** A state checkpoint with no records. */
  checkpoint(state: unknown): Promise<void>;
}

export interface Connector {
  spec(): ConnectorSpec | Promise<ConnectorSpec>;
  /** Problems with the options, each naming the option; empty when fine. */
  check?(options: string): string[] | Promise<string[]>;
  discover(options: string): StreamDefinition[] | Promise<StreamDefinition[]>;
  read(request: ReadRequest, writer: PageWriter): Promise<void>;
}

/** Throw from a connector method to report bad options (INVALID_ARGUMENT). */
export class InvalidOptionsError extends SluiceError {
  constructor(message: string) {
    super("OPTIONS_INVALID", message);
  }
}

const wireModes: Record<SyncMode, WireSyncMode> = {
  full_refresh: WireSyncMode.SYNC_MODE_FULL_REFRESH,
  incremental: WireSyncMode.SYNC_MODE_INCREMENTAL,
};

export function serveConnector(connector: Connector): Promise<ServedPlugin> {
  return servePlugin({
    magicCookieKey: SLUICE_HANDSHAKE.magicCookieKey,
    magicCookieValue: SLUICE_HANDSHAKE.magicCookieValue,
    versions: { 1: (server) => server.addService(ConnectorService, connectorService(connector)) },
  });
}

function connectorService(connector: Connector): ConnectorServer {
  return {
    spec: (_call, callback) =>
      answer(callback, async () => {
        const spec = await connector.spec();
        return {
          name: spec.name,
          version: spec.version,
          description: spec.description ?? "",
          optionsSchema: spec.optionsSchema ? JSON.stringify(spec.optionsSchema) : "",
        };
      }),
    check: (call, callback) =>
      answer(callback, async () => {
        const errors = (await connector.check?.(call.request.options)) ?? [];
        return { ok: errors.length === 0, errors };
      }),
    discover: (call, callback) =>
      answer(callback, async () => ({
        streams: (await connector.discover(call.request.options)).map((s) => ({
          name: s.name,
          jsonSchema: JSON.stringify(s.jsonSchema),
          primaryKey: s.primaryKey ?? [],
          cursorField: s.cursorField ?? "",
          syncModes: (s.syncModes ?? ["full_refresh"]).map((m) => wireModes[m]),
        })),
      })),
    read: (call) => {
      connector.read(toReadRequest(call.request), pageWriter(call)).then(
        () => call.end(),
        (error: unknown) => call.emit("error", toServiceError(error)),
      );
    },
  };
}

function toReadRequest(request: WireReadRequest): ReadRequest {
  return {
    options: request.options,
    state: request.state ? JSON.parse(request.state) : undefined,
    streams: request.streams.map((s) => ({
      name: s.name,
      syncMode: s.syncMode === WireSyncMode.SYNC_MODE_INCREMENTAL ? "incremental" : "full_refresh",
    })),
  };
}

function pageWriter(call: ServerWritableStream<WireReadRequest, ReadResponse>): PageWriter {
  const send = async (response: ReadResponse) => {
    if (call.cancelled) throw new SluiceError("SYNC_CANCELLED", "the host cancelled the read");
    if (!call.write(response)) await once(call, "drain");
  };
  return {
    write: (stream, records, options = {}) =>
      send({
        message: {
          $case: "page",
          value: {
            stream,
            records: options.columnar
              ? // integers beyond 2^53 stay bigints: the generated encoder writes sint64 from either
                { $case: "columns", value: encodeColumns(records) as ColumnarRecords }
              : { $case: "json", value: { array: Buffer.from(jsonText(records)) } },
            checkpoint: options.checkpoint === undefined ? undefined : { state: JSON.stringify(options.checkpoint) },
            estimatedTotal: options.estimatedTotal ?? 0,
          },
        },
      }),
    checkpoint: (state) => send({ message: { $case: "checkpoint", value: { state: JSON.stringify(state) } } }),
  };
}

async function answer<T>(
  callback: (error: ServiceError | null, value?: T) => void,
  work: () => Promise<T>,
): Promise<void> {
  try {
    callback(null, await work());
  } catch (error) {
    callback(toServiceError(error));
  }
}

function toServiceError(error: unknown): ServiceError {
  const code = error instanceof InvalidOptionsError ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.INTERNAL;
  return {
    code,
    details: messageOf(error),
    message: messageOf(error),
    name: "ConnectorError",
    metadata: undefined as never,
  };
}

/**
 * `sluice serve qlik`: one gRPC server answering both Qlik revisions,
 * /qlik.Connector/GetData (revision A, columnar chunks) and
 * /qlik.connect.Connector/GetData + GetMetaInfo (bucket chunks), over the
 * store and, when allowed, live reads of installed connectors. Every call is
 * authenticated: by the client certificate mutual TLS required at the
 * handshake, or by a bearer token in its metadata (`authorization: Bearer
 * <token>`, checked by `authenticate`), unless the server runs without
 * authentication on loopback.
 */
import {
  type Metadata,
  type ServerWritableStream,
  Server,
  ServerCredentials,
  setLogger,
  status as GrpcStatus,
} from "@grpc/grpc-js";
import { bearerOf } from "../auth/bearer.js";
import { listenFailure } from "../listen-failure.js";
import { silentLogger, type Logger } from "../../logging.js";
import * as connect from "../../protocol/gen/qlik/connect/data_connector.js";
import * as revisionA from "../../protocol/gen/qlik/data_connector.js";
import { bucketChunks, columnarChunks, DEFAULT_CHUNK_BYTES } from "../../protocol/qlik/chunks.js";
import { type GetDataContext, serveGetData } from "./get-data.js";
import { checkStore, type StoreTarget } from "./store-source.js";

export interface QlikServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  /** The store that SELECT statements read (read-only). */
  store: StoreTarget;
  logger?: Logger;
  /** Target encoded size of a chunk. */
  chunkBytes?: number;
  /** Reported by GetMetaInfo. */
  version?: string;
  startTimeoutMs?: number;
  /** The longest a GetData call may run (default 300 s). */
  timeoutMs?: number;
  /** Which installed connectors statements may read live; undefined: none. */
  liveSources?: GetDataContext["liveSources"];
  resolveConnector?: GetDataContext["resolveConnector"];
  /**
   * Checks a call's bearer token (undefined when it sent none); undefined
   * when calls need no token (mutual TLS authenticated them, or the server
   * runs without authentication).
   */
  authenticate?: (token: string | undefined) => Promise<boolean>;
  /** Serve TLS (else plaintext); with `clientCa`, only clients presenting a certificate it signed get in (mutual TLS). */
  tls?: QlikServerTls;
}

export interface QlikServerTls {
  /** PEM certificate chain and private key of the server. */
  cert: Buffer;
  key: Buffer;
  /** PEM CAs a client certificate must chain to; given, a client without one cannot connect. */
  clientCa?: Buffer;
}

function serverCredentials(tls: QlikServerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== undefined,
  );
}

export interface QlikServer {
  /** host:port actually bound. */
  address: string;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cancels them. */
  close(graceMs?: number): Promise<void>;
}

export async function startQlikServer(options: QlikServerOptions): Promise<QlikServer> {
  await checkStore(options.store); // fail now, not on the first call, if the store cannot be read
  const context: GetDataContext = {
    store: options.store,
    chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    logger: options.logger ?? silentLogger,
    startTimeoutMs: options.startTimeoutMs,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    liveSources: options.liveSources,
    resolveConnector: options.resolveConnector,
  };
  const allowed = (metadata: Metadata) => admits(options.authenticate, metadata);
  const server = new Server();
  server.addService(revisionA.ConnectorService, {
    getData: (call: ServerWritableStream<revisionA.GetDataOptions, revisionA.DataChunk>) =>
      void whenAllowed(call, allowed, () =>
        serveGetData(
          call,
          { statement: call.request.parameters?.statement ?? "", connection: connectionOf(call.request) },
          columnarChunks,
          context,
        ),
      ),
  } satisfies revisionA.ConnectorServer);
  server.addService(connect.ConnectorService, {
    getData: (call: ServerWritableStream<connect.DataRequest, connect.DataChunk>) => {
      const first = call.request.parameters?.firstRowsOnly;
      const request = {
        statement: call.request.parameters?.statement ?? "",
        connection: connectionOf(call.request),
        firstRows: first?.hasValue ? Math.max(0, first.value) : undefined,
      };
      void whenAllowed(call, allowed, () => serveGetData(call, request, bucketChunks, context));
    },
    getMetaInfo: (call, callback) =>
      void allowed(call.metadata).then((ok) =>
        ok
          ? callback(null, { name: "Sluice", version: options.version ?? "", developer: "Sluice" })
          : callback({ code: GrpcStatus.UNAUTHENTICATED, details: UNAUTHENTICATED }),
      ),
  } satisfies connect.ConnectorServer);
  const port = await bind(server, options.listen, serverCredentials(options.tls), options.logger ?? silentLogger);
  const host = options.listen.slice(0, options.listen.lastIndexOf(":"));
  return {
    address: `${host}:${port}`,
    close: (graceMs = 5000) => shutdown(server, graceMs),
  };
}

const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * Binds `listen`, failing with one line that says what is wrong. grpc-js also prints
 * its own "E No address added…" line for a failed bind, ahead of that error: its log
 * goes to our logger at debug instead (the process-wide logger; a server is its process's one).
 */
function bind(server: Server, listen: string, credentials: ServerCredentials, logger: Logger): Promise<number> {
  const grpcLog = (...parts: unknown[]) => logger.debug(parts.join(" "), { from: "grpc-js" });
  setLogger({ error: grpcLog, info: grpcLog, debug: grpcLog });
  return new Promise((resolve, reject) =>
    server.bindAsync(listen, credentials, (error, port) =>
      error ? reject(listenFailure(listen, error)) : resolve(port),
    ),
  );
}

const UNAUTHENTICATED =
  "this server needs a token: send `authorization: Bearer <token>` metadata (sluice sync --qlik-token-file), " +
  "with a token from `sluice server token create`";

async function admits(authenticate: QlikServerOptions["authenticate"], metadata: Metadata): Promise<boolean> {
  if (!authenticate) return true;
  const header = metadata.get("authorization")[0];
  return authenticate(bearerOf(typeof header === "string" ? header : undefined)).catch(() => false);
}

/** Runs `serve` for an authenticated call; ends any other with UNAUTHENTICATED before reading its request. */
async function whenAllowed(
  call: ServerWritableStream<unknown, unknown>,
  allowed: (metadata: Metadata) => Promise<boolean>,
  serve: () => Promise<void>,
): Promise<void> {
  if (await allowed(call.metadata)) return serve();
  call.emit("error", { code: GrpcStatus.UNAUTHENTICATED, details: UNAUTHENTICATED });
}

function connectionOf(request: { connection?: { connectionString: string; user: string; password: string } }) {
  const { connectionString = "", user = "", password = "" } = request.connection ?? {};
  return { connectionString, user, password };
}

function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

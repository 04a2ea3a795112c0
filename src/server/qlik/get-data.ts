/**
 * One GetData call, whichever revision it came in on: parse the statement,
 * run it against the store or a live source, stream the header and chunks,
 * and end the call with a status whose message says what went wrong.
 */
import { type ServerWritableStream, status as GrpcStatus } from "@grpc/grpc-js";
import { type ErrorCode, messageOf, SluiceError } from "../../errors.js";
import type { ChunkCodec } from "../../protocol/qlik/chunks.js";
import { type ChunkStats, ChunkStream } from "./chunk-stream.js";
import type { ConnectionInfo } from "./connection-config.js";
import { type LiveSourceContext, readLiveSource } from "./live-source.js";
import { parseStatement } from "./statement.js";
import { readStore, type StoreTarget } from "./store-source.js";

/** What both revisions' requests carry, as far as Sluice uses it. */
export interface GetDataRequest {
  statement: string;
  connection: ConnectionInfo;
  /** firstRowsOnly (qlik.connect only); undefined = every row. */
  firstRows?: number;
}

export interface GetDataContext extends LiveSourceContext {
  store: StoreTarget;
  chunkBytes: number;
}

/** gRPC status for Sluice's error codes; anything else is INTERNAL. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, GrpcStatus>> = {
  QLIK_STATEMENT_INVALID: GrpcStatus.INVALID_ARGUMENT,
  OPTIONS_INVALID: GrpcStatus.INVALID_ARGUMENT,
  QLIK_TABLE_NOT_FOUND: GrpcStatus.NOT_FOUND,
  STORE_FAILED: GrpcStatus.UNAVAILABLE,
  STORE_UNREACHABLE: GrpcStatus.UNAVAILABLE,
  STORE_AUTH_FAILED: GrpcStatus.UNAVAILABLE,
  STORE_NOT_FOUND: GrpcStatus.UNAVAILABLE,
};

export async function serveGetData<C>(
  call: ServerWritableStream<unknown, C>,
  request: GetDataRequest,
  codec: ChunkCodec<C>,
  context: GetDataContext,
): Promise<void> {
  const started = performance.now();
  const maxRows = request.firstRows ?? Infinity;
  const out = new ChunkStream(call, codec, { chunkBytes: context.chunkBytes, maxRows });
  let what = "statement";
  try {
    const statement = parseStatement(request.statement);
    what = statement.kind === "sql" ? `table ${statement.table}` : `source ${statement.command ?? statement.connector}`;
    if (statement.kind === "sql") await readStore(context.store, statement, out);
    else await readLiveSource(statement, request.connection, out, context);
    const stats = await out.finish();
    call.end();
    context.logger.info("GetData served", {
      what,
      cancelled: call.cancelled,
      ...describe(stats, performance.now() - started),
    });
  } catch (error) {
    context.logger.warn("GetData failed", { what, error: messageOf(error) });
    const code =
      error instanceof SluiceError ? (STATUS_BY_CODE[error.code] ?? GrpcStatus.INTERNAL) : GrpcStatus.INTERNAL;
    call.emit("error", { code, details: messageOf(error) });
  }
}

function describe(stats: ChunkStats, ms: number): Record<string, number> {
  const seconds = ms / 1000;
  return {
    rows: stats.rows,
    chunks: stats.chunks,
    avgChunkBytes: stats.chunks ? Math.round(stats.bytes / stats.chunks) : 0,
    largestChunkBytes: stats.largestChunk,
    ms: Math.round(ms),
    rowsPerSecond: seconds > 0 ? Math.round(stats.rows / seconds) : 0,
  };
}

/**
 * One GetData call, whichever revision it came in on: parse the statement,
 * run it against the store or a live source under the call's deadline,
 * stream the header and chunks, and end the call with a status. A client
 * learns what it can act on (its statement, its options, a table it named,
 * a source it may not read, the deadline); anything else, which may hold the
 * server's paths or a connector's output, goes to the server's log under a
 * reference the client is given.
 */
import { type ServerWritableStream, status as GrpcStatus } from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { codeOf, type ErrorCode, messageOf, SluiceError } from "../../errors.js";
import type { ChunkCodec } from "../../protocol/qlik/chunks.js";
import { type ChunkStats, ChunkStream } from "./chunk-stream.js";
import type { ConnectionInfo } from "./connection-config.js";
import { type LiveSourceContext, readLiveSource } from "./live-source.js";
import { parseStatement } from "./statement.js";
import type { StoreTarget } from "./store-source.js";
import { queryStore } from "./store-query.js";

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
  /** The longest a call may run; past it its query's process is killed, or its live connector stopped. */
  timeoutMs: number;
}

/** The codes whose message the client gets, with their gRPC status. */
const TOLD_TO_CLIENT: Partial<Record<ErrorCode, GrpcStatus>> = {
  QLIK_STATEMENT_INVALID: GrpcStatus.INVALID_ARGUMENT,
  OPTIONS_INVALID: GrpcStatus.INVALID_ARGUMENT,
  QLIK_TABLE_NOT_FOUND: GrpcStatus.NOT_FOUND,
  QLIK_SOURCE_NOT_ALLOWED: GrpcStatus.PERMISSION_DENIED,
  QLIK_DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
};

/** Failures a client may retry later, told as such without their message (it names the store). */
const UNAVAILABLE = new Set<ErrorCode>(["STORE_FAILED", "STORE_UNREACHABLE", "STORE_AUTH_FAILED", "STORE_NOT_FOUND"]);

export async function serveGetData<C>(
  call: ServerWritableStream<unknown, C>,
  request: GetDataRequest,
  codec: ChunkCodec<C>,
  context: GetDataContext,
): Promise<void> {
  const started = performance.now();
  const maxRows = request.firstRows ?? Infinity;
  const out = new ChunkStream(call, codec, { chunkBytes: context.chunkBytes, maxRows });
  const { signal, dispose } = callSignal(call, context.timeoutMs);
  let what = "statement";
  try {
    const statement = parseStatement(request.statement);
    what = statement.kind === "sql" ? `table ${statement.table}` : `source ${statement.connector}`;
    if (statement.kind === "sql") await queryStore(context.store, statement, out, signal);
    else await readLiveSource(statement, request.connection, out, context, signal);
    const stats = await out.finish();
    call.end();
    context.logger.info("GetData served", {
      what,
      cancelled: call.cancelled,
      ...describe(stats, performance.now() - started),
    });
  } catch (error) {
    if (call.cancelled) {
      // The client hung up: its query was stopped, nobody is left to tell.
      context.logger.info("GetData served", {
        what,
        cancelled: true,
        ...describe(out.sent, performance.now() - started),
      });
      return;
    }
    const code = codeOf(error, "INTERNAL");
    const status = TOLD_TO_CLIENT[code];
    const reference = randomBytes(4).toString("hex");
    context.logger.warn("GetData failed", { what, reference, error: messageOf(error) });
    call.emit(
      "error",
      status === undefined
        ? {
            code: UNAVAILABLE.has(code) ? GrpcStatus.UNAVAILABLE : GrpcStatus.INTERNAL,
            details: `GetData failed on the server; its log has the details (reference ${reference})`,
          }
        : { code: status, details: messageOf(error) },
    );
  } finally {
    dispose();
  }
}

/** Aborts when the call outlives the server's timeout (a QLIK_DEADLINE_EXCEEDED) or the client goes away. */
function callSignal(call: ServerWritableStream<unknown, unknown>, timeoutMs: number) {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new SluiceError(
          "QLIK_DEADLINE_EXCEEDED",
          `the call ran longer than the server's limit (--timeout ${timeoutMs / 1000} s) and was stopped`,
        ),
      ),
    timeoutMs,
  );
  const gone = () => controller.abort(new SluiceError("INTERNAL", "the client cancelled the call"));
  call.on("cancelled", gone);
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      call.off("cancelled", gone);
    },
  };
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

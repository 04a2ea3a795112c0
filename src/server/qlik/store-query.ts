/**
 * A SELECT over the store, run in a process of its own (query-process.ts)
 * and relayed to the call's sink: the header, then batches of rows, one
 * batch taken per "more" (so a slow client holds the query back). The call's
 * deadline and the client going away end it by killing that process: no
 * statement, however it loops, outlives either.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ERROR_CODES, type ErrorCode, SluiceError } from "../../errors.js";
import type { RowSink } from "./chunk-stream.js";
import type { QueryReply, QueryRequest } from "./query-process.js";
import { type SqlStatement, StatementError } from "./statement.js";
import type { StoreTarget } from "./store-source.js";

const isTs = import.meta.url.endsWith(".ts");
const childModule = fileURLToPath(new URL(isTs ? "./query-process.ts" : "./query-process.js", import.meta.url));

export async function queryStore(
  store: StoreTarget,
  statement: SqlStatement,
  sink: RowSink,
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
  const child = fork(childModule, [], {
    execArgv: isTs ? ["--import", "tsx"] : [],
    serialization: "advanced",
    stdio: ["ignore", "ignore", "ignore", "ipc"],
  });
  try {
    const answered = relay(child, sink, signal);
    child.send({ type: "query", store, statement } satisfies QueryRequest);
    await answered;
  } finally {
    child.kill("SIGKILL");
  }
}

/** Feeds the child's replies to `sink` one batch at a time, in order; settles on the end, an error, or the signal. */
function relay(child: ChildProcess, sink: RowSink, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      error === undefined ? resolve() : reject(error);
    };
    const onAbort = () => finish(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    // Batches are handed to the sink strictly one after another.
    let taken: Promise<boolean> = Promise.resolve(true);
    const after = (step: (more: boolean) => boolean | Promise<boolean>) => {
      taken = taken.then(step).catch((error: unknown) => {
        finish(error);
        return false;
      });
    };
    child.on("error", (error) => finish(error));
    child.on("close", (code, exitSignal) =>
      after(() => {
        finish(
          new SluiceError(
            "INTERNAL",
            `the query's process ended without an answer (${exitSignal ? `signal ${exitSignal}` : `exit code ${code}`})`,
          ),
        );
        return false;
      }),
    );
    child.on("message", (reply: QueryReply) => {
      if (reply.type === "header") after((more) => (sink.header(reply.header), more));
      else if (reply.type === "rows")
        after(async (more) => {
          const wanted = more && !settled && (await sink.rows(reply.rows));
          if (child.connected) child.send({ type: wanted ? "more" : "stop" } satisfies QueryRequest, () => {});
          if (!wanted) finish();
          return wanted;
        });
      else if (reply.type === "end") after(() => (finish(), false));
      else after(() => (finish(childError(reply.code, reply.message)), false));
    });
  });
}

/** The child's error as the GetData caller gets it: Sluice's own codes kept, SQLite's failures the statement's. */
function childError(code: string, message: string): SluiceError {
  if (code in ERROR_CODES) return new SluiceError(code as ErrorCode, message);
  if (code.startsWith("SQLITE_")) return new StatementError(`SQLite failed running it: ${message}`);
  return new SluiceError("INTERNAL", message);
}

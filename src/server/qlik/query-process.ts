/**
 * The process a SELECT of `sluice serve qlik` runs in: one per GetData call,
 * forked by store-query.ts. SQLite gives no way to interrupt a statement in
 * this build (no progress handler, no sqlite3_interrupt in better-sqlite3),
 * DuckDB runs in the caller's process too, and one step of a `WITH
 * RECURSIVE` subquery can run forever inside native code, where neither a
 * timer nor a worker's terminate() reaches it; a process can always be
 * killed. Messages (IPC, advanced serialization):
 *   in:  {type: "query", store, statement}, then {type: "more"} per batch taken,
 *        or {type: "stop"} when no more rows are wanted;
 *   out: {type: "header", header}, {type: "rows", rows}, {type: "end"},
 *        {type: "error", code, message}.
 * It exits when its parent goes away (the IPC channel closes).
 */
import type { Cell } from "../../protocol/cells.js";
import type { GetDataResponse } from "../../protocol/gen/qlik/connect/data_connector.js";
import type { SqlStatement } from "./statement.js";
import { readStore, type StoreTarget } from "./store-source.js";

export type QueryRequest =
  | { type: "query"; store: StoreTarget; statement: SqlStatement }
  | { type: "more" }
  | { type: "stop" };
export type QueryReply =
  | { type: "header"; header: GetDataResponse }
  | { type: "rows"; rows: Cell[][] }
  | { type: "end" }
  | { type: "error"; code: string; message: string };

/** Batches the child may send ahead of the parent taking them. */
export const BATCHES_AHEAD = 4;

const send = (reply: QueryReply) => process.send?.(reply);

let credit = BATCHES_AHEAD;
let stopped = false;
let waiting: (() => void) | undefined;

process.on("disconnect", () => process.exit(0));
process.on("message", (message: QueryRequest) => {
  if (message.type === "query") void run(message.store, message.statement);
  else {
    if (message.type === "more") credit++;
    else stopped = true;
    waiting?.();
    waiting = undefined;
  }
});

async function run(store: StoreTarget, statement: SqlStatement): Promise<void> {
  try {
    await readStore(store, statement, {
      header: (header) => send({ type: "header", header }),
      rows: async (rows) => {
        while (credit === 0 && !stopped) await new Promise<void>((resolve) => (waiting = resolve));
        if (stopped) return false;
        credit--;
        send({ type: "rows", rows });
        return true;
      },
    });
    send({ type: "end" });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    send({
      type: "error",
      code: typeof code === "string" && /^[A-Z_]+$/.test(code) ? code : "INTERNAL",
      message: error instanceof Error ? error.message : String(error),
    });
  }
  process.disconnect?.();
}

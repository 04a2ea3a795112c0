/**
 * The page writer thread's body: one connection to the store's file, page
 * jobs in, counts (or the SQLite error's message and code) out. Started by
 * PageWriterThread; it imports nothing of the host but the page runner.
 */
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import { type PageJob, PageRunner, tuneForWriting } from "./page-runner.js";

export interface PageRequest {
  id: number;
  job: PageJob;
}

export type PageReply =
  | { id: number; counts: import("../types.js").WriteCounts }
  | { id: number; error: { message: string; code?: string } };

const { location } = workerData as { location: string };
const db = new Database(location, { fileMustExist: true });
tuneForWriting(db);
const runner = new PageRunner(db);

parentPort?.on("message", ({ id, job }: PageRequest) => {
  let reply: PageReply;
  try {
    reply = { id, counts: runner.run(job) };
  } catch (error) {
    reply = { id, error: { message: (error as Error).message, code: (error as { code?: string }).code } };
  }
  parentPort?.postMessage(reply);
});

/**
 * Page writes on a thread of their own. SQLite works synchronously, so on the
 * host's thread a page's write and the decoding of the next page (gRPC, JSON)
 * take turns; on this thread they overlap, and a sync runs at the pace of the
 * slower of the two instead of their sum. The thread has its own connection
 * to the same file (WAL: the host's connection keeps reading); the host
 * still makes every schema change and waits for each page before the next
 * write, so the two connections never write at once.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { WriteCounts } from "../types.js";
import type { PageJob } from "./page-runner.js";
import type { PageReply, PageRequest } from "./page-thread.js";

/** The thread's module next to this one: compiled JavaScript, or TypeScript when run from the sources (tests). */
const fromSources = import.meta.url.endsWith(".ts");
const threadModule = fileURLToPath(new URL(`./page-thread.${fromSources ? "ts" : "js"}`, import.meta.url));

/**
 * How the thread starts. From the sources, tsx's require hook loads the TypeScript in the thread itself:
 * Node 20 does not carry the host's module loader into worker threads.
 */
function startThread(location: string): Worker {
  const workerData = { location };
  if (!fromSources) return new Worker(threadModule, { workerData, execArgv: [] });
  const load = `require("node:module").createRequire(${JSON.stringify(threadModule)})`;
  const boot = `const load = ${load}; load("tsx/cjs/api").register(); load(${JSON.stringify(threadModule)});`;
  return new Worker(boot, { eval: true, workerData, execArgv: [] });
}

interface Waiting {
  resolve: (counts: WriteCounts) => void;
  reject: (error: Error) => void;
}

export class PageWriterThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private lastId = 0;
  private ended: Error | undefined;

  constructor(location: string) {
    this.worker = startThread(location);
    // Only a page in flight keeps the process alive.
    this.worker.unref();
    this.worker.on("message", (reply: PageReply) => this.settle(reply));
    this.worker.on("error", (error) => this.end(error));
    this.worker.on("exit", (code) => this.end(new Error(`the SQLite page writer thread ended (exit code ${code})`)));
  }

  run(job: PageJob): Promise<WriteCounts> {
    if (this.ended) return Promise.reject(this.ended);
    const id = ++this.lastId;
    return new Promise<WriteCounts>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, job } satisfies PageRequest);
    });
  }

  async close(): Promise<void> {
    this.ended ??= new Error("the SQLite store is closed");
    await this.worker.terminate();
  }

  private settle(reply: PageReply): void {
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker.unref();
    if ("counts" in reply) waiting.resolve(reply.counts);
    else waiting.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
  }

  private end(error: Error): void {
    this.ended ??= error;
    for (const waiting of this.waiting.values()) waiting.reject(this.ended);
    this.waiting.clear();
  }
}

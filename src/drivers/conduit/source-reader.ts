/**
 * Batches from a Conduit source until a stop condition (a Conduit source
 * never ends by itself), then Stop and a drain up to the last position the
 * source says it sent, so every record it handed out is delivered.
 */
import type { StopConditions, StopReason } from "../types.js";
import type { SourceStream } from "./endpoints.js";
import type { OpenCdcRecord } from "./opencdc.js";

type Batch = OpenCdcRecord[] | undefined;

export class SourceReader {
  stoppedBy: StopReason = "source-ended";
  private pending: Promise<Batch> | undefined;
  private lastSeen: Buffer | undefined;

  constructor(
    private readonly stream: SourceStream,
    private readonly stop: () => Promise<Buffer>,
    private readonly conditions: StopConditions = {},
  ) {}

  /** Calls `handle` for every batch, in order, until stopped and drained; `received` counts records for maxRecords. */
  async each(handle: (records: OpenCdcRecord[]) => Promise<void>, received: () => number): Promise<void> {
    try {
      const stopReason = await this.readUntilStop(handle, received);
      if (!stopReason) return;
      this.stoppedBy = stopReason;
      const last = await this.stop();
      while (last.length && !this.lastSeen?.equals(last)) {
        const batch = await (this.pending ?? this.stream.next());
        this.pending = undefined;
        if (!batch) break;
        await this.deliver(batch, handle);
      }
    } finally {
      this.stream.close();
    }
  }

  private async readUntilStop(
    handle: (records: OpenCdcRecord[]) => Promise<void>,
    received: () => number,
  ): Promise<StopReason | undefined> {
    const { maxRecords, signal } = this.conditions;
    for (;;) {
      if (signal?.aborted) return "signal";
      if (maxRecords !== undefined && received() >= maxRecords) return "max-records";
      this.pending ??= this.stream.next();
      const outcome = await this.race(this.pending);
      if (outcome === "idle" || outcome === "signal") return outcome;
      this.pending = undefined;
      if (!outcome.batch) return undefined;
      await this.deliver(outcome.batch, handle);
    }
  }

  private async deliver(batch: OpenCdcRecord[], handle: (records: OpenCdcRecord[]) => Promise<void>): Promise<void> {
    if (!batch.length) return;
    this.lastSeen = batch[batch.length - 1].position;
    await handle(batch);
  }

  private race(next: Promise<Batch>): Promise<{ batch: Batch } | "idle" | "signal"> {
    const { idleMs, signal } = this.conditions;
    const waits: Promise<{ batch: Batch } | "idle" | "signal">[] = [next.then((batch) => ({ batch }))];
    let timer: NodeJS.Timeout | undefined;
    if (idleMs !== undefined) waits.push(new Promise((resolve) => (timer = setTimeout(() => resolve("idle"), idleMs))));
    let onAbort = () => {};
    if (signal)
      waits.push(
        new Promise((resolve) => signal.addEventListener("abort", (onAbort = () => resolve("signal")), { once: true })),
      );
    return Promise.race(waits).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  }
}

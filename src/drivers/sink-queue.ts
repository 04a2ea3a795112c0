/**
 * A sink's calls made one at a time, in order, while the source prepares the
 * next one: a driver decodes page N+1 (JSON parsing, on this thread) while
 * the store writes page N (PostgreSQL on its server, DuckDB on its own
 * threads), so decoding and writing overlap instead of taking turns.
 *
 * A page queued behind a write is announced to the sink at once (`upcoming`),
 * so a store can stage it beside the write (DuckDB: append it while the page
 * before it merges). Each call starts only once the one before it has ended,
 * so the sink's contract holds unchanged: pages in order, a checkpoint only
 * after the pages before it are durable. A failed call fails the next `send` and `settled`,
 * and calls `onFailure` at once, so the source can stop producing.
 */
import type { PageSink, RecordPage } from "./types.js";

export class SinkQueue {
  private last: Promise<void> = Promise.resolve();
  private failed: { error: unknown } | undefined;

  constructor(
    private readonly sink: PageSink,
    private readonly onFailure: () => void,
  ) {}

  /** The first call that failed, if one has. */
  get failure(): { error: unknown } | undefined {
    return this.failed;
  }

  /** Waits for the call before it, then starts writing `page` (without waiting for it). */
  page(page: RecordPage): Promise<void> {
    if (!this.failed) this.sink.upcoming?.(page);
    return this.send(() => this.sink.page(page));
  }

  /** Waits for the call before it, then starts saving `state` (without waiting for it). */
  checkpoint(state: string): Promise<void> {
    return this.send(() => this.sink.checkpoint(state));
  }

  /** Resolves once every call made so far has ended; rejects with the first failure. */
  async settled(): Promise<void> {
    await this.last;
    if (this.failed) throw this.failed.error;
  }

  /**
   * Queues `call` behind every call asked for before, at once: callers that do not wait for each other
   * (a timer beside a read loop) still get their calls made in the order they asked. Resolves once the
   * call before it has ended and this one has started.
   */
  private send(call: () => Promise<void>): Promise<void> {
    const turn = this.last.then(() => {
      if (this.failed) throw this.failed.error;
    });
    this.last = turn.then(call).then(
      () => undefined,
      (error: unknown) => {
        if (this.failed) return; // an earlier failure, already told
        this.failed = { error };
        this.onFailure();
      },
    );
    return turn;
  }
}

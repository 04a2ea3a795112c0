/**
 * A subprocess source's records into the sink, in pages of up to PAGE_RECORDS
 * records per stream, each written in one store transaction with the newest
 * state that the records before it confirm.
 *
 * A source's state messages do not each make a transaction: a state waits
 * (held) until a page fills, or STATE_WAIT_MS after the oldest state held
 * (a quiet source's progress is saved all the same), and is then saved with
 * the last page of everything pending, which holds every record before it
 * (and maybe some after it: state is never ahead of the rows). Sources that
 * send state every few records (airbyte-source-faker: every 1000) would
 * otherwise pay a commit each time; DuckDB's costs 10 ms.
 *
 * A page is written while the source's next lines are parsed (SinkQueue).
 * The driver reads through `during` and calls `finish` once the
 * source has ended: when the read or the source failed, the records a held
 * state confirms are still written with it, as they would have been without
 * the wait.
 */
import { ConnectorProtocolError } from "../../errors.js";
import { Batcher } from "../batcher.js";
import { SinkQueue } from "../sink-queue.js";
import type { PageSink, Row } from "../types.js";

/** Records per page and stream. */
export const PAGE_RECORDS = 5000;
/** Source line characters pending at most before every page is written, whatever their record counts. */
export const PENDING_CHARACTERS = 4 * 1024 * 1024;
/** How long a state may wait for more records to share their transaction. */
export const STATE_WAIT_MS = 1000;

interface HeldState {
  state: string;
  /** Per stream, how many of the pending records came before the state. */
  confirmed: Map<string, number>;
}

type Pages = [stream: string, rows: Row[]][];

export class Pager {
  private readonly batcher = new Batcher<Row>(PAGE_RECORDS);
  private readonly estimates = new Map<string, number>();
  private readonly writes: SinkQueue;
  private pendingCharacters = 0;
  private held: HeldState | undefined;
  /** Writes a held state once it has waited STATE_WAIT_MS, should the source go quiet. */
  private heldTimer: NodeJS.Timeout | undefined;

  constructor(
    sink: PageSink,
    private readonly streams: Set<string>,
    private readonly source: string,
  ) {
    // A failed write fails the next page or checkpoint, which stops the read.
    this.writes = new SinkQueue(sink, () => {});
  }

  get records(): number {
    return this.batcher.records;
  }

  /** Adds a record whose line was `length` characters long; writes every pending page once one is full. */
  async add(stream: string, data: Row, length = 0): Promise<void> {
    if (!this.streams.has(stream))
      throw new ConnectorProtocolError(
        `connector "${this.source}" sent a record of stream "${stream}", which was not selected`,
      );
    this.pendingCharacters += length;
    const full = this.batcher.add(stream, data);
    if (full) await this.write([[stream, full], ...this.batcher.drain()]);
    else if (this.pendingCharacters >= PENDING_CHARACTERS) await this.write(this.batcher.drain());
  }

  estimate(stream: string, rows: number): void {
    this.estimates.set(stream, rows);
  }

  /** Holds `state` for the next write: when a page fills, or STATE_WAIT_MS after the oldest state held. */
  checkpoint(state: string): void {
    this.held = { state, confirmed: this.batcher.pendingCounts() };
    this.heldTimer ??= setTimeout(() => {
      this.heldTimer = undefined;
      // A failure is the sink queue's to report, at the next record or at the end.
      this.write(this.batcher.drain()).catch(() => undefined);
    }, STATE_WAIT_MS).unref();
  }

  /**
   * Once the source has ended: a failed write explains the end first (before the source's own exit
   * does), then `checkExit` throws if the source itself failed (after the records a held state
   * confirms are written with it), then every record still pending is written with the held state,
   * and their writes waited for.
   */
  async finish(checkExit: () => void): Promise<void> {
    // Everything pending is written below, or the source failed: nothing is left for the timer.
    clearTimeout(this.heldTimer);
    await this.writes.settled();
    try {
      checkExit();
    } catch (error) {
      await this.abandon();
      throw error;
    }
    await this.write(this.batcher.drain());
    await this.writes.settled();
  }

  /** Waits for the read `running`; if it fails, the records a held state confirms are written with it first. */
  async during<T>(running: Promise<T>): Promise<T> {
    try {
      return await running;
    } catch (error) {
      await this.abandon();
      throw error;
    }
  }

  /** After a failed read: writes the records a held state confirms, with it, and waits; never throws. */
  private async abandon(): Promise<void> {
    await this.write(this.confirmedPages())
      .then(() => this.writes.settled())
      .catch(() => undefined);
  }

  /** The pending records that came before the held state, taken out of the batcher. */
  private confirmedPages(): Pages {
    const counts = [...(this.held?.confirmed ?? [])];
    return counts
      .map(([stream, count]): Pages[number] => [stream, this.batcher.take(stream, count)])
      .filter(([, rows]) => rows.length > 0);
  }

  /**
   * Queues `pages` behind the writes asked for before, the held state (if any) with the last one, or
   * alone when there are none; resolves once the last of them has started.
   */
  private async write(pages: Pages): Promise<void> {
    this.pendingCharacters = 0;
    const state = this.held?.state;
    this.held = undefined;
    clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    const last = pages.pop();
    const sends = pages.map(([stream, rows]) => this.send(stream, rows));
    if (last) sends.push(this.send(last[0], last[1], state));
    else if (state !== undefined) sends.push(this.writes.checkpoint(state));
    await Promise.all(sends);
  }

  private send(stream: string, rows: Row[], checkpoint?: string): Promise<void> {
    const estimatedTotal = this.estimates.size ? [...this.estimates.values()].reduce((a, b) => a + b, 0) : undefined;
    return this.writes.page({ stream, rows, estimatedTotal, checkpoint });
  }
}

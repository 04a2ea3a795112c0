/**
 * A subprocess source's records into the sink, a page per stream at a time; all of them before a
 * checkpoint. A page is written while the source's next lines are parsed (SinkQueue): the driver calls
 * `finish` once the source has ended, before it reports how the read went.
 */
import { ConnectorProtocolError } from "../../errors.js";
import { Batcher } from "../batcher.js";
import { SinkQueue } from "../sink-queue.js";
import type { PageSink, Row } from "../types.js";

export class Pager {
  private readonly batcher = new Batcher<Row>();
  private readonly estimates = new Map<string, number>();
  private readonly writes: SinkQueue;

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

  async add(stream: string, data: Row): Promise<void> {
    if (!this.streams.has(stream))
      throw new ConnectorProtocolError(
        `connector "${this.source}" sent a record of stream "${stream}", which was not selected`,
      );
    const full = this.batcher.add(stream, data);
    if (full) await this.send(stream, full);
  }

  estimate(stream: string, rows: number): void {
    this.estimates.set(stream, rows);
  }

  async flushAll(): Promise<void> {
    for (const [stream, rows] of this.batcher.drain()) await this.send(stream, rows);
  }

  /**
   * Writes every pending record and saves `state` with the last of their pages, in its transaction (the
   * pages before it are written first): one commit instead of two where a source sends state after every
   * few records. With nothing pending, `state` is saved alone.
   */
  async checkpoint(state: string): Promise<void> {
    const pages = this.batcher.drain();
    const last = pages.pop();
    for (const [stream, rows] of pages) await this.send(stream, rows);
    if (last) await this.send(last[0], last[1], state);
    else await this.writes.checkpoint(state);
  }

  /**
   * Once the source has ended: a failed write explains the end first (before the source's own exit
   * does), then `checkExit` throws if the source itself failed, then the records still pending are
   * written and their writes waited for.
   */
  async finish(checkExit: () => void): Promise<void> {
    await this.writes.settled();
    checkExit();
    await this.flushAll();
    await this.writes.settled();
  }

  private async send(stream: string, rows: Row[], checkpoint?: string): Promise<void> {
    const estimatedTotal = this.estimates.size ? [...this.estimates.values()].reduce((a, b) => a + b, 0) : undefined;
    await this.writes.page({ stream, rows, estimatedTotal, checkpoint });
  }
}

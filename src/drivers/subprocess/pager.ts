/** A subprocess source's records into the sink, a page per stream at a time; all of them before a checkpoint. */
import { ConnectorProtocolError } from "../../errors.js";
import { Batcher } from "../batcher.js";
import type { PageSink, Row } from "../types.js";

export class Pager {
  private readonly batcher = new Batcher<Row>();
  private readonly estimates = new Map<string, number>();

  constructor(
    private readonly sink: PageSink,
    private readonly streams: Set<string>,
    private readonly source: string,
  ) {}

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

  /** Writes every pending record, then saves `state` with them. */
  async checkpoint(state: string): Promise<void> {
    await this.flushAll();
    await this.sink.checkpoint(state);
  }

  private async send(stream: string, rows: Row[]): Promise<void> {
    const estimatedTotal = this.estimates.size ? [...this.estimates.values()].reduce((a, b) => a + b, 0) : undefined;
    await this.sink.page({ stream, rows, estimatedTotal });
  }
}

/** Records per stream, written a page at a time; all of them before a checkpoint. */
import { ConnectorProtocolError } from "../../errors.js";
import type { PageSink, Row } from "../types.js";

const PAGE_SIZE = 1000;

export class Pager {
  records = 0;
  private readonly pending = new Map<string, Row[]>();
  private readonly estimates = new Map<string, number>();

  constructor(
    private readonly sink: PageSink,
    private readonly streams: Set<string>,
    private readonly source: string,
  ) {}

  async add(stream: string, data: Row): Promise<void> {
    if (!this.streams.has(stream))
      throw new ConnectorProtocolError(
        `connector "${this.source}" sent a record of stream "${stream}", which was not selected`,
      );
    let page = this.pending.get(stream);
    if (!page) this.pending.set(stream, (page = []));
    page.push(data);
    this.records++;
    if (page.length >= PAGE_SIZE) await this.flush(stream);
  }

  estimate(stream: string, rows: number): void {
    this.estimates.set(stream, rows);
  }

  async flushAll(): Promise<void> {
    for (const stream of [...this.pending.keys()]) await this.flush(stream);
  }

  /** Writes every pending record, then saves `state` with them. */
  async checkpoint(state: string): Promise<void> {
    await this.flushAll();
    await this.sink({ stream: "", rows: [], checkpoint: state });
  }

  private async flush(stream: string): Promise<void> {
    const rows = this.pending.get(stream);
    this.pending.delete(stream);
    if (!rows?.length) return;
    const estimatedTotal = this.estimates.size ? [...this.estimates.values()].reduce((a, b) => a + b, 0) : undefined;
    await this.sink({ stream, rows, estimatedTotal });
  }
}

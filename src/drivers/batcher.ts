/**
 * Records collected per stream into pages: a page leaves when it is full,
 * and every pending one before a checkpoint (so state never runs ahead of
 * the records before it). Pure: the caller sends what it hands back, which
 * lets the same batcher serve an async sink (subprocess sources) and a
 * blocking pipe (the Code Climate runner, inside the connector's process).
 */

/** Records per page: one store transaction each. */
export const PAGE_SIZE = 1000;

export class Batcher<R> {
  /** Records added so far. */
  records = 0;
  private readonly pending = new Map<string, R[]>();

  constructor(private readonly pageSize = PAGE_SIZE) {}

  /** Adds a record; returns its stream's page when that page is now full. */
  add(stream: string, record: R): R[] | undefined {
    let page = this.pending.get(stream);
    if (!page) this.pending.set(stream, (page = []));
    page.push(record);
    this.records++;
    if (page.length < this.pageSize) return undefined;
    this.pending.delete(stream);
    return page;
  }

  /** How many records wait in each stream's page that is not full yet. */
  pendingCounts(): Map<string, number> {
    return new Map([...this.pending].map(([stream, records]) => [stream, records.length]));
  }

  /** The first `count` pending records of `stream`, taken out of the batcher (the rest stay). */
  take(stream: string, count: number): R[] {
    return this.pending.get(stream)?.splice(0, count) ?? [];
  }

  /** Every pending page, oldest stream first, taken out of the batcher. */
  drain(): [stream: string, records: R[]][] {
    const pages = [...this.pending].filter(([, records]) => records.length > 0);
    this.pending.clear();
    return pages;
  }
}

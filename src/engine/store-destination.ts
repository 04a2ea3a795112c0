/**
 * The store as a destination: one table per stream (opened up front, or on
 * the first page of a stream that asks for it), each page written in one
 * transaction together with the checkpoint it carries.
 */
import type { RecordPage, StreamDescriptor } from "../drivers/types.js";
import type { Store, TableSpec, TableWriter, WriteCounts } from "../stores/types.js";
import type { Destination } from "./destination.js";
import { tableSpec } from "./tables.js";

export class StoreDestination implements Destination {
  acked = 0;
  private readonly writers = new Map<string, Promise<TableWriter>>();
  /**
   * The writers opened so far, by stream, in the order they opened: the ones a page can be announced to,
   * and the table each got from the store (which may differ from the name asked for).
   */
  private readonly ready = new Map<string, TableWriter>();
  private readonly specs = new Map<string, TableSpec>();

  /**
   * @param connector the connector instance the tables belong to
   * @param prefix of table names
   * @param stateKey where the source's state is saved
   */
  constructor(
    private readonly store: Store,
    private readonly connector: string,
    private readonly prefix: string,
    private readonly stateKey: string,
  ) {}

  async open(streams: StreamDescriptor[]): Promise<void> {
    for (const stream of streams) if (!stream.createTableOnFirstRecord) await this.table(stream);
  }

  async write(page: RecordPage, stream: StreamDescriptor, syncId: number): Promise<WriteCounts> {
    const checkpoint = page.checkpoint !== undefined ? { connector: this.stateKey, state: page.checkpoint } : undefined;
    const counts = await (await this.table(stream)).write(page.rows, syncId, checkpoint);
    this.acked += page.rows.length;
    return counts;
  }

  upcoming(page: RecordPage, stream: StreamDescriptor): void {
    this.ready.get(stream.name)?.upcoming?.(page.rows);
  }

  checkpoint(state: string, syncId: number): Promise<void> {
    return this.store.saveState(this.stateKey, state, syncId);
  }

  async finish(): Promise<void> {
    for (const writer of this.writers.values()) await (await writer).finish();
  }

  tableOf(stream: string): string {
    return this.ready.get(stream)?.table ?? this.specs.get(stream)?.table ?? "";
  }

  opened(): string[] {
    return [...this.ready.keys()];
  }

  private table(stream: StreamDescriptor): Promise<TableWriter> {
    let writer = this.writers.get(stream.name);
    if (!writer) {
      const spec = tableSpec(this.connector, this.prefix, stream);
      this.specs.set(stream.name, spec);
      writer = this.store.openTable(spec).then((opened) => {
        this.ready.set(stream.name, opened);
        return opened;
      });
      this.writers.set(stream.name, writer);
    }
    return writer;
  }
}

/**
 * Where the engine writes a source's pages: the store (tables, with the
 * source's state in the same transactions) or a destination connector (the
 * state saved in a ledger once the connector has acknowledged the records
 * before it). A sync and a pipeline differ only in the destination they pass.
 */
import type { RecordPage, StreamDescriptor } from "../drivers/types.js";
import type { WriteCounts } from "../stores/types.js";

export interface Destination {
  /** Opens for the source's selected streams (tables, or the connector's Open); before the run is logged. */
  open(streams: StreamDescriptor[]): Promise<void>;
  /** Writes a page, with its checkpoint when it carries one; `stream` is how it lands. */
  write(page: RecordPage, stream: StreamDescriptor, syncId: number): Promise<WriteCounts>;
  /** A hint that `page` is the next one written for `stream` (see PageSink.upcoming). */
  upcoming?(page: RecordPage, stream: StreamDescriptor): void;
  /** Saves `state` once every page before it is durable. */
  checkpoint(state: string, syncId: number): Promise<void>;
  /** The read ended well: replacing tables take their place; a connector drains and tears down. */
  finish(): Promise<void>;
  /** Records the destination holds durably (written to the store, or acked by the connector). */
  readonly acked: number;
  /** The table a stream lands in, for a store. */
  tableOf?(stream: string): string;
  /** Streams whose table exists, in the order they were opened, for a store. */
  opened?(): string[];
}

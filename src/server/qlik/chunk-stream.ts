/**
 * Writes one GetData response: the header as initial metadata, then rows
 * packed into chunks cut by their measured encoded size (about 64 KB, as the
 * API advises), each written only when gRPC has room for it (the call's
 * 'drain'), so a slow client slows the source instead of filling memory.
 */
import type { ServerWritableStream } from "@grpc/grpc-js";
import { SluiceError } from "../../errors.js";
import type { Cell } from "../../protocol/cells.js";
import type { GetDataResponse } from "../../protocol/gen/qlik/connect/data_connector.js";
import type { ChunkCodec, ChunkEncoder } from "../../protocol/qlik/chunks.js";
import { headerMetadata } from "../../protocol/qlik/header.js";

/** Where a source puts what it reads. */
export interface RowSink {
  /** Sends the header; must come before any row. */
  header(header: GetDataResponse): void;
  /**
   * Queues rows; resolves false when no more are wanted (the client went
   * away or firstRowsOnly is reached), and the source should stop.
   */
  rows(batch: Cell[][]): Promise<boolean>;
}

export interface ChunkStats {
  rows: number;
  chunks: number;
  bytes: number;
  smallestChunk: number;
  largestChunk: number;
}

export class ChunkStream<C> implements RowSink {
  private encoder: ChunkEncoder<C> | undefined;
  private readonly stats: ChunkStats = { rows: 0, chunks: 0, bytes: 0, smallestChunk: 0, largestChunk: 0 };

  constructor(
    private readonly call: ServerWritableStream<unknown, C>,
    private readonly codec: ChunkCodec<C>,
    private readonly options: { chunkBytes: number; maxRows: number },
  ) {}

  get headerSent(): boolean {
    return this.encoder !== undefined;
  }

  header(header: GetDataResponse): void {
    if (this.encoder) throw new SluiceError("INTERNAL", "GetData header sent twice");
    this.call.sendMetadata(headerMetadata(header));
    this.encoder = this.codec.encoder(header.fieldInfo.length);
  }

  async rows(batch: Cell[][]): Promise<boolean> {
    const encoder = this.encoder;
    if (!encoder) throw new SluiceError("INTERNAL", "rows before the GetData header");
    for (const row of batch) {
      if (this.stats.rows >= this.options.maxRows || this.call.cancelled) return false;
      encoder.addRow(row);
      this.stats.rows++;
      if (encoder.size >= this.options.chunkBytes) await this.flush(encoder);
    }
    return this.stats.rows < this.options.maxRows && !this.call.cancelled;
  }

  /** What went out so far (for a call the client ended early). */
  get sent(): ChunkStats {
    return this.stats;
  }

  /** Sends what is left; the caller ends the call. */
  async finish(): Promise<ChunkStats> {
    if (this.encoder && this.encoder.rowCount > 0) await this.flush(this.encoder);
    return this.stats;
  }

  private async flush(encoder: ChunkEncoder<C>): Promise<void> {
    const bytes = encoder.size;
    const chunk = encoder.take();
    const stats = this.stats;
    stats.smallestChunk = stats.chunks === 0 ? bytes : Math.min(stats.smallestChunk, bytes);
    stats.largestChunk = Math.max(stats.largestChunk, bytes);
    stats.chunks++;
    stats.bytes += bytes;
    if (!this.call.write(chunk)) await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.call.off("drain", done).off("cancelled", done).off("close", done);
        resolve();
      };
      this.call.on("drain", done).on("cancelled", done).on("close", done);
    });
  }
}

/**
 * The protocol's run-time rules, once, for the gRPC server (serve.ts) and
 * for Sluice's built-in mode (no gRPC): a source's read loop with ordered
 * acks and a stop that reports the last position it will send; a
 * destination's writes answered with acks, and a stop that waits until the
 * last position is written.
 */
import type { ConduitDestination, ConduitSource, OpenCdcRecord } from "./types.js";

export class SourceRunner {
  private stopping = new AbortController();
  private lastSent: Buffer = Buffer.alloc(0);
  private reading: Promise<OpenCdcRecord[]> | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly source: ConduitSource) {}

  /** Reads until stopped, handing each batch to `send` (which may wait: backpressure). */
  start(send: (records: OpenCdcRecord[]) => Promise<void>): Promise<void> {
    this.loop ??= (async () => {
      while (!this.stopping.signal.aborted) {
        this.reading = this.source.read(this.stopping.signal);
        const records = await this.reading;
        if (records.length) await this.deliver(records, send);
      }
    })();
    return this.loop;
  }

  async ack(positions: Buffer[]): Promise<void> {
    for (const position of positions) await this.source.ack(position);
  }

  /** Stops reading; the batch being read is still sent; returns the last position sent. */
  async stop(): Promise<Buffer> {
    this.stopping.abort();
    await this.loop?.catch(() => {});
    return this.lastSent;
  }

  private async deliver(records: OpenCdcRecord[], send: (records: OpenCdcRecord[]) => Promise<void>): Promise<void> {
    this.lastSent = records[records.length - 1].position;
    await send(records);
  }
}

export interface DestinationAck {
  position: Buffer;
  error: string;
}

export class DestinationRunner {
  private chain: Promise<unknown> = Promise.resolve();
  private lastWritten: Buffer | undefined;
  private readonly waiting: { position: Buffer; resolve: () => void }[] = [];

  constructor(private readonly destination: ConduitDestination) {}

  /** Writes in arrival order; resolves with one ack per record once they are written. */
  write(records: OpenCdcRecord[]): Promise<DestinationAck[]> {
    const done = this.chain.then(async () => {
      const errors = await this.destination
        .write(records)
        .catch((error: unknown) => records.map(() => (error instanceof Error ? error.message : String(error))));
      this.lastWritten = records[records.length - 1]?.position ?? this.lastWritten;
      this.release();
      return records.map((record, index) => ({ position: record.position, error: errors[index] ?? "" }));
    });
    this.chain = done.catch(() => {});
    return done;
  }

  /** Resolves once the record at `lastPosition` is written (at once when nothing is expected). */
  stop(lastPosition: Buffer): Promise<void> {
    if (!lastPosition.length || this.lastWritten?.equals(lastPosition)) return this.chain.then(() => {});
    return new Promise((resolve) => {
      this.waiting.push({ position: lastPosition, resolve });
    });
  }

  private release(): void {
    for (const waiter of this.waiting.splice(0)) {
      if (this.lastWritten?.equals(waiter.position)) waiter.resolve();
      else this.waiting.push(waiter);
    }
  }
}

/**
 * Records sent to a Conduit destination, tracked until their acks arrive:
 * acks must come in the order the records went out, and a record the
 * destination failed fails everything waiting on it.
 */
import { ConnectorProtocolError, SluiceError } from "../../errors.js";
import type { DestinationStream } from "./endpoints.js";
import { bytesText, type OpenCdcRecord } from "./opencdc.js";

export class AckTracker {
  acked = 0;
  private readonly outstanding: Buffer[] = [];
  private readonly waiters: { count: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private sent = 0;
  private failure: unknown;
  /** Resolves once the destination's acks have ended (or failed). */
  readonly done: Promise<void>;

  constructor(
    private readonly stream: DestinationStream,
    private readonly destination: string,
  ) {
    this.done = this.consume();
  }

  async send(records: OpenCdcRecord[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (const record of records) this.outstanding.push(record.position);
    this.sent += records.length;
    await this.stream.send(records);
  }

  /** Resolves once every record sent so far is acked. */
  settled(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.acked >= this.sent) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ count: this.sent, resolve, reject }));
  }

  private async consume(): Promise<void> {
    try {
      await this.readAcks();
      // The stream ended without an error; records it never acked would be waited for forever.
      if (this.outstanding.length)
        throw new SluiceError(
          "DESTINATION_ENDED",
          `destination "${this.destination}" ended its stream with ${this.outstanding.length} record(s) not acknowledged`,
        );
    } catch (error) {
      this.failure = error;
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    }
  }

  private async readAcks(): Promise<void> {
    for (let acks = await this.stream.nextAcks(); acks; acks = await this.stream.nextAcks()) {
      for (const ack of acks) {
        const expected = this.outstanding.shift();
        if (ack.error)
          throw new SluiceError(
            "DESTINATION_REJECTED",
            `destination "${this.destination}" failed the record at position ${bytesText(ack.position)}: ${ack.error}`,
          );
        if (expected && !expected.equals(ack.position))
          throw new ConnectorProtocolError(
            `destination "${this.destination}" acked position ${bytesText(ack.position)}, expected ${bytesText(expected)} (acks must come in order)`,
          );
        this.acked++;
      }
      for (const waiter of this.waiters.splice(0))
        this.acked >= waiter.count ? waiter.resolve() : this.waiters.push(waiter);
    }
  }
}

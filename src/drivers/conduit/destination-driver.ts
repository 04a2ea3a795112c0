/**
 * A Conduit destination (standalone or built-in) as a DestinationDriver:
 * Configure, the lifecycle event the change since the last run calls for,
 * Open and Run; each page goes out as OpenCDC records (a record from a
 * Conduit source unchanged, any other row as a create with the stream's
 * primary key as its key), tracked until acked in order. Finishing sends Stop
 * with the last position, waits for its acks, and tears down.
 */
import { SluiceError } from "../../errors.js";
import { type Logger, silentLogger } from "../../logging.js";
import type { DestinationDriver, RecordPage, StreamDescriptor } from "../types.js";
import { AckTracker } from "./acks.js";
import type { ConduitConnectorHandle, DestinationEndpoint, DestinationStream } from "./endpoints.js";
import { type OpenCdcRecord, rowToRecord } from "./opencdc.js";
import {
  type LifecycleOutcome,
  lifecycleChange,
  refuseInvalidConfig,
  type SavedConduitState,
  SOURCE_RECORD,
} from "./source-driver.js";
import type { ConduitConfig } from "./specification.js";

export class ConduitDestinationDriver implements DestinationDriver {
  readonly protocol = "conduit";
  /** What opening did about the config: the lifecycle event it ran. */
  lifecycle: LifecycleOutcome | undefined;
  private endpoint: DestinationEndpoint | undefined;
  private stream: DestinationStream | undefined;
  private tracker: AckTracker | undefined;
  private last: Buffer | undefined;
  private pages = 0;

  constructor(
    readonly handle: ConduitConnectorHandle,
    private readonly config: ConduitConfig,
    private readonly logger: Logger = silentLogger,
  ) {}

  get name(): string {
    return this.handle.name;
  }

  get acked(): number {
    return this.tracker?.acked ?? 0;
  }

  async check(): Promise<void> {
    refuseInvalidConfig(this.name, "destination", await this.handle.specify(), this.config, this.logger);
  }

  async open(saved: string | undefined): Promise<string> {
    const endpoint = (this.endpoint = this.handle.destination());
    await endpoint.configure(this.config);
    const before = saved ? (JSON.parse(saved) as SavedConduitState).config : undefined;
    const change = lifecycleChange(before, this.config);
    if (change) await endpoint.lifecycle(change);
    this.lifecycle = change?.kind ?? "unchanged";
    await endpoint.open();
    this.stream = endpoint.run();
    this.tracker = new AckTracker(this.stream, this.name);
    return JSON.stringify({ config: this.config } satisfies SavedConduitState);
  }

  async write(page: RecordPage, stream: StreamDescriptor | undefined): Promise<void> {
    if (!page.rows.length) return;
    this.pages++;
    const records = page.rows.map(
      (row, index) =>
        ((row as Record<symbol, unknown>)[SOURCE_RECORD] as OpenCdcRecord | undefined) ??
        rowToRecord(row, page.stream, stream?.primaryKey ?? [], Buffer.from(`${this.pages}:${index}`)),
    );
    await this.opened().send(records);
    this.last = records[records.length - 1].position;
  }

  settled(): Promise<void> {
    return this.opened().settled();
  }

  async finish(): Promise<void> {
    const endpoint = this.endpoint!;
    if (this.last) await endpoint.stop(this.last);
    await this.settled();
    this.stream?.close();
    await endpoint.teardown();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private opened(): AckTracker {
    if (!this.tracker)
      throw new SluiceError("INTERNAL", `destination "${this.name}" was written to before it was opened`);
    return this.tracker;
  }
}

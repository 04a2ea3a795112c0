/**
 * A destination connector as a destination: pages go out through its driver;
 * the source's state is saved in a ledger (a store beside it) only once the
 * connector has acknowledged every record before it, so a restarted run
 * resumes without loss. What the connector was opened with is kept there too,
 * to tell it what changed on the next run.
 */
import type { DestinationDriver, RecordPage, StreamDescriptor } from "../drivers/types.js";
import type { Store, WriteCounts } from "../stores/types.js";
import type { Destination } from "./destination.js";

export class ConnectorDestination implements Destination {
  /** Records acknowledged up to the last saved state (or, once finished, all of them). */
  acked = 0;

  /**
   * @param stateKey where the source's state is saved
   * @param openedKey where what the connector was opened with is saved
   */
  constructor(
    readonly driver: DestinationDriver,
    private readonly ledger: Store,
    private readonly stateKey: string,
    private readonly openedKey: string,
  ) {}

  async open(): Promise<void> {
    const saved = await this.ledger.loadState(this.openedKey);
    await this.ledger.saveState(this.openedKey, await this.driver.open(saved || undefined), 0);
  }

  async write(page: RecordPage, stream: StreamDescriptor, syncId: number): Promise<WriteCounts> {
    await this.driver.write(page, stream);
    if (page.checkpoint !== undefined) await this.checkpoint(page.checkpoint, syncId);
    return { inserted: page.rows.length, updated: 0, unchanged: 0 };
  }

  async checkpoint(state: string, syncId: number): Promise<void> {
    await this.driver.settled();
    await this.ledger.saveState(this.stateKey, state, syncId);
    this.acked = this.driver.acked;
  }

  async finish(): Promise<void> {
    await this.driver.finish();
    this.acked = this.driver.acked;
  }
}

/**
 * The {{name}} Code Climate connector. Edit `verifyConfiguration` (say what
 * is wrong with the configuration), `discoverStreams` (produce at least one
 * Stream record) and `syncStream` (produce the records of a stream created
 * since `earliestDataCutoff`, and checkpoint with `stateManager.set`).
 *
 * As generated, configuration `count` items become Issue records, one a day
 * going back from today, in one Stream.
 */
import {
  AbstractClient,
  type ClientInterface,
  type Stream,
  type VerifyConfigurationResult,
} from "codeclimate-connector-sdk";

export const DAY_MS = 86_400_000;

export interface Item {
  id: string;
  title: string;
  createdAt: Date;
}

/** The items, newest first, one a day from `newest` back: replace with what your system's API returns. */
export function items(count: number, newest = Math.floor(Date.now() / DAY_MS) * DAY_MS): Item[] {
  return Array.from({ length: count }, (_, index) => ({
    id: String(index + 1),
    title: `item ${index + 1}`,
    createdAt: new Date(newest - index * DAY_MS),
  }));
}

export class Client extends AbstractClient implements ClientInterface {
  async verifyConfiguration(): Promise<VerifyConfigurationResult> {
    const count = this.configuration.get("count");
    if (count === undefined) return { isValid: false, errorMessages: ["count is required"] };
    if (!Number.isInteger(count) || count < 0)
      return { isValid: false, errorMessages: ["count must be an integer, 0 or more"] };
    return { isValid: true };
  }

  async discoverStreams(): Promise<void> {
    this.recordProducer.produce({
      record: { _type: "Stream", id: "items", self: "https://example.com/items", name: "{{name}} items" },
    });
  }

  async syncStream(stream: Stream, earliestDataCutoff: Date): Promise<void> {
    const checkpoint = this.stateManager.get();
    const since = checkpoint && checkpoint.checkpointTime > earliestDataCutoff ? checkpoint.checkpointTime : earliestDataCutoff;
    this.logger.debug(`syncing ${stream.id} since ${since.toISOString()}`);
    const fresh = items(Number(this.configuration.get("count"))).filter((item) => item.createdAt > since);
    for (const item of fresh) {
      this.recordProducer.produce({
        record: {
          _type: "Issue",
          id: item.id,
          self: `https://example.com/items/${item.id}`,
          title: item.title,
          status: "triggered",
          createdAt: item.createdAt.toISOString(),
        },
      });
    }
    if (fresh.length) this.stateManager.set({ checkpointTime: fresh[0].createdAt });
  }
}

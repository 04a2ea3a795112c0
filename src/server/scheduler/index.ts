/**
 * src/server/scheduler — starts scheduled runs, in the server process. One
 * timer wakes at the earliest planned run (or within a minute, so a clock
 * change or a schedule made by another process is noticed); a due connection
 * with a run still going is skipped, never doubled; a run missed while the
 * server was down runs once at start. Plans live in the connections table
 * (next_run_at), so they survive restarts.
 *
 * May import: src/server/connections, src/server/runs, src/logging.ts.
 */
import type { Logger } from "../../logging.js";
import type { Connections } from "../connections/service.js";
import type { Runs } from "../runs/service.js";

const LONGEST_SLEEP_MS = 60_000;

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** A wake() arrived during a tick: tick again right after it. */
  private again = false;
  private stopped = false;

  constructor(
    private readonly connections: Connections,
    private readonly runs: Runs,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** A schedule changed: plan again now. */
  wake(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  private tick(): void {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.again = false;
    this.ticking = this.fireDue()
      .catch((error) => this.logger.error(`scheduler: ${String(error)}`))
      .then(() => this.sleep())
      .finally(() => {
        this.ticking = undefined;
        if (this.again) this.wake();
      });
  }

  private async fireDue(): Promise<void> {
    const at = new Date();
    for (const connection of await this.connections.due(at)) {
      if (this.stopped) return;
      await this.connections.advance(connection, at);
      if (await this.runs.busy(connection.id)) {
        this.logger.info(`schedule of "${connection.name}": skipped, its previous run is still going`);
        continue;
      }
      try {
        const run = await this.runs.start(connection.id, "schedule");
        this.logger.info(`schedule of "${connection.name}": started run ${run.id}`);
      } catch (error) {
        this.logger.warn(`schedule of "${connection.name}": not started: ${String(error)}`);
      }
    }
  }

  private async sleep(): Promise<void> {
    if (this.stopped) return;
    const next = await this.connections.nextPlanned();
    const wait = next ? Math.max(0, Math.min(next.getTime() - Date.now(), LONGEST_SLEEP_MS)) : LONGEST_SLEEP_MS;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), wait);
  }
}

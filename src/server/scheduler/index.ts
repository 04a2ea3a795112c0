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
import { messageOf } from "../../errors.js";
import type { Logger } from "../../logging.js";
import type { Connections } from "../connections/service.js";
import type { Runs } from "../runs/service.js";

const LONGEST_SLEEP_MS = 60_000;
/** How soon a tick that failed (the database out of reach, say) is tried again. */
const RETRY_MS = 5_000;

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** A wake() arrived during a tick: tick again right after it. */
  private again = false;
  private stopped = false;
  /** The last tick failed: said once, until a tick succeeds again. */
  private failing = false;

  constructor(
    private readonly connections: Connections,
    private readonly runs: Runs,
    private readonly logger: Logger,
    /** A failure as the error to report (see OpenedDatabase.explain). */
    private readonly explain: (error: unknown) => unknown = (error) => error,
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
    this.ticking = this.fireAndPlan().finally(() => {
      this.ticking = undefined;
      if (this.again) this.wake();
    });
  }

  /**
   * Starts the due runs and sets the timer for the next. Never rejects: a tick that fails (the
   * database out of reach) is said once and tried again every RETRY_MS until one succeeds.
   */
  private async fireAndPlan(): Promise<void> {
    let wait: number;
    try {
      await this.fireDue();
      wait = await this.untilNext();
      if (this.failing) this.logger.info("scheduler: reads the schedules again");
      this.failing = false;
    } catch (error) {
      if (!this.failing)
        this.logger.warn(
          `scheduler: cannot read the schedules (${messageOf(this.explain(error))}); trying again every ${RETRY_MS / 1000} s`,
        );
      this.failing = true;
      wait = RETRY_MS;
    }
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), wait);
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

  /** Milliseconds until the earliest planned run, at most LONGEST_SLEEP_MS. */
  private async untilNext(): Promise<number> {
    const next = await this.connections.nextPlanned();
    return next ? Math.max(0, Math.min(next.getTime() - Date.now(), LONGEST_SLEEP_MS)) : LONGEST_SLEEP_MS;
  }
}

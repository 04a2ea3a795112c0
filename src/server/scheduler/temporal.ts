/**
 * Connection schedules as Temporal Schedules (`sluice server --temporal`):
 * each connection with a schedule has the Schedule `sluice-<connection>`,
 * created, updated, paused and deleted with it (reconciled whenever a
 * schedule changes, and every minute). Temporal fires it, so schedules keep
 * firing while the server is down; the server follows what they start and
 * records each as a run (trigger "schedule") in its history. A scheduled
 * sync while the connection's previous run still goes is skipped.
 *
 * May import: src/server/connections, src/server/runs, src/worker, src/logging.ts.
 */
import { type Client, ScheduleNotFoundError } from "@temporalio/client";
import { messageOf } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { SYNC_WORKFLOW_TYPE, syncWorkflowOptions } from "../../worker/index.js";
import { optionsText } from "../connections/options.js";
import type { Connection, Connections } from "../connections/service.js";
import type { Runs } from "../runs/service.js";
import type { TemporalLauncher } from "../runs/temporal.js";

const SCHEDULE_PREFIX = "sluice-";
const RECONCILE_EVERY_MS = 60_000;
const FOLLOW_EVERY_MS = 1_000;

export class TemporalSchedules {
  private reconcileTimer: NodeJS.Timeout | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Workflow runs already recorded (or skipped), by run id. */
  private readonly seen = new Set<string>();
  /** Actions taken before this moment were recorded by an earlier server, or missed while it was down. */
  private readonly since = new Date();

  constructor(
    private readonly client: Client,
    private readonly connections: Connections,
    private readonly runs: Runs,
    private readonly launcher: TemporalLauncher,
    private readonly defaultDestination: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
    this.followTimer = setInterval(() => void this.follow(), FOLLOW_EVERY_MS);
  }

  /** A connection or its schedule changed: bring the Temporal Schedules in line now. */
  wake(): void {
    if (this.stopped) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    clearTimeout(this.reconcileTimer);
    this.reconciling = this.reconcile()
      .catch((error) => this.logger.warn(`Temporal Schedules not updated: ${messageOf(error)}; trying again`))
      .finally(() => {
        this.reconciling = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        } else if (!this.stopped) this.reconcileTimer = setTimeout(() => this.wake(), RECONCILE_EVERY_MS);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconcileTimer);
    clearInterval(this.followTimer);
    await this.reconciling;
  }

  private async reconcile(): Promise<void> {
    const wanted = new Map<string, Connection>();
    for (const connection of await this.connections.list())
      if (connection.schedule) wanted.set(scheduleIdOf(connection.name), connection);
    for await (const summary of this.client.schedule.list()) {
      if (!summary.scheduleId.startsWith(SCHEDULE_PREFIX) || wanted.has(summary.scheduleId)) continue;
      await this.client.schedule.getHandle(summary.scheduleId).delete();
      this.logger.info(`Temporal Schedule ${summary.scheduleId} deleted: its connection has no schedule now`);
    }
    for (const [scheduleId, connection] of wanted)
      await this.upsert(scheduleId, connection).catch((error) =>
        this.logger.warn(`schedule of "${connection.name}" not on Temporal: ${messageOf(error)}`),
      );
  }

  private async upsert(scheduleId: string, connection: Connection): Promise<void> {
    const { options } = await this.connections.unsealedOptions(connection.id);
    const destination = connection.destination ?? this.defaultDestination;
    const input = this.launcher.inputFor(connection, optionsText(options), destination);
    const { args, taskQueue, workflowId } = syncWorkflowOptions(this.launcher.taskQueue, input);
    const action = { type: "startWorkflow" as const, workflowType: SYNC_WORKFLOW_TYPE, args, taskQueue, workflowId };
    const schedule = connection.schedule;
    if (!schedule) return;
    const spec =
      "cron" in schedule
        ? { cronExpressions: [schedule.cron] }
        : { intervals: [{ every: `${schedule.everySeconds}s` }] };
    const state = { paused: connection.paused, note: connection.paused ? "paused in Sluice" : undefined };
    const handle = this.client.schedule.getHandle(scheduleId);
    try {
      const current = await handle.describe();
      await handle.update((previous) => ({ ...previous, spec, action, state: { ...previous.state, ...state } }));
      if (current.state.paused !== connection.paused)
        this.logger.info(`Temporal Schedule ${scheduleId} ${connection.paused ? "paused" : "resumed"}`);
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
      await this.client.schedule.create({ scheduleId, spec, action, policies: { overlap: "SKIP" }, state });
      this.logger.info(`Temporal Schedule ${scheduleId} created for connection "${connection.name}"`);
    }
  }

  /** Records what the schedules started as runs; the launcher follows each workflow to its end. */
  private async follow(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const connection of await this.connections.list()) {
        if (!connection.schedule) continue;
        const description = await this.client.schedule
          .getHandle(scheduleIdOf(connection.name))
          .describe()
          .catch(() => undefined);
        for (const taken of description?.info.recentActions ?? []) {
          const { workflowId, firstExecutionRunId } = taken.action.workflow;
          if (this.seen.has(firstExecutionRunId) || taken.takenAt < this.since) continue;
          this.seen.add(firstExecutionRunId);
          await this.record(connection, this.client.workflow.getHandle(workflowId, firstExecutionRunId));
        }
      }
    } catch (error) {
      this.logger.debug(`following Temporal Schedules: ${messageOf(error)}`);
    }
  }

  private async record(connection: Connection, handle: ReturnType<Client["workflow"]["getHandle"]>): Promise<void> {
    this.launcher.adopt(connection.name, handle);
    try {
      const run = await this.runs.start(connection.id, "schedule");
      this.logger.info(`schedule of "${connection.name}": run ${run.id} is workflow ${handle.workflowId}`);
    } catch (error) {
      this.launcher.forget(connection.name);
      await handle.cancel().catch(() => {});
      this.logger.info(`schedule of "${connection.name}": skipped (${messageOf(error)})`);
    }
  }
}

export function scheduleIdOf(connection: string): string {
  return `${SCHEDULE_PREFIX}${connection}`;
}

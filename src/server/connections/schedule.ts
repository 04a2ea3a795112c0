/**
 * A connection's schedule: a cron expression (croner: 5 or 6 fields, in the
 * server's time zone unless given) or a fixed interval. Stored as text
 * ("cron:0 * * * *", "every:3600").
 */
import { Cron } from "croner";
import { ServerError } from "../errors.js";

import type { Schedule } from "./schedule-text.js";

export { describeSchedule, type Schedule } from "./schedule-text.js";

/** The shortest interval: a schedule is for periodic syncs, not a busy loop. */
export const MIN_INTERVAL_SECONDS = 1;

export function checkSchedule(schedule: Schedule): Schedule {
  if ("cron" in schedule) {
    try {
      new Cron(schedule.cron, { paused: true });
    } catch (error) {
      throw scheduleError(`schedule.cron "${schedule.cron}" is not a cron expression: ${(error as Error).message}`);
    }
    return { cron: schedule.cron.trim() };
  }
  if (!Number.isInteger(schedule.everySeconds) || schedule.everySeconds < MIN_INTERVAL_SECONDS)
    throw scheduleError(
      `schedule.everySeconds must be a whole number of seconds, at least ${MIN_INTERVAL_SECONDS} (got ${schedule.everySeconds})`,
    );
  return schedule;
}

export function encodeSchedule(schedule: Schedule | null): string | null {
  if (!schedule) return null;
  return "cron" in schedule ? `cron:${schedule.cron}` : `every:${schedule.everySeconds}`;
}

export function decodeSchedule(text: string | null): Schedule | null {
  if (!text) return null;
  if (text.startsWith("cron:")) return { cron: text.slice(5) };
  return { everySeconds: Number(text.slice(6)) };
}

/**
 * When a schedule fires next, strictly after `after`. An interval counts from
 * its previous planned time, so it keeps its rhythm; a planned time already
 * past (the server was down) is not made up for beyond one run.
 */
export function nextRun(schedule: Schedule, after: Date, previousPlanned?: Date): Date {
  if ("cron" in schedule) {
    const next = new Cron(schedule.cron, { paused: true }).nextRun(after);
    if (!next) throw scheduleError(`schedule.cron "${schedule.cron}" never fires again`);
    return next;
  }
  const step = schedule.everySeconds * 1000;
  if (previousPlanned && previousPlanned.getTime() + step > after.getTime())
    return new Date(previousPlanned.getTime() + step);
  return new Date(after.getTime() + step);
}

/** CLI form: "every 15m", "every 3600", "cron:0 * * * *" or a bare cron expression. */
export function parseScheduleText(text: string): Schedule {
  const every = text.trim().match(/^every[: ]\s*(\d+)\s*(s|m|min|h|d)?$/i);
  if (every) {
    const unit = { s: 1, m: 60, min: 60, h: 3600, d: 86400 }[(every[2] ?? "s").toLowerCase() as "s"];
    return checkSchedule({ everySeconds: Number(every[1]) * unit });
  }
  return checkSchedule({ cron: text.replace(/^cron:\s*/i, "") });
}

function scheduleError(message: string): ServerError {
  return new ServerError("SCHEDULE_INVALID", message, "schedule");
}

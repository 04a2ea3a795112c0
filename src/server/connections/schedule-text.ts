/**
 * A schedule as data and as people read it. A leaf module (no imports), so
 * the web UI shares it with the server.
 */
export type Schedule = { cron: string } | { everySeconds: number };

/** "every 90 s" / "cron 0 * * * *", for lists and pages. */
export function describeSchedule(schedule: Schedule | null): string {
  if (!schedule) return "manual";
  if ("cron" in schedule) return `cron ${schedule.cron}`;
  const s = schedule.everySeconds;
  if (s % 86400 === 0) return `every ${s / 86400} d`;
  if (s % 3600 === 0) return `every ${s / 3600} h`;
  if (s % 60 === 0) return `every ${s / 60} min`;
  return `every ${s} s`;
}

/**
 * `sluice connections list | create | run`: the server's connections from the
 * terminal — the same services the HTTP API calls, on the same database.
 */
import { Command } from "commander";
import { SluiceError } from "../../errors.js";
import { onInterrupt } from "../../process/index.js";
import type { App } from "../../server/app.js";
import type { ConnectionOptions } from "../../server/connections/options.js";
import { describeSchedule, parseScheduleText } from "../../server/connections/schedule.js";
import type { Connection } from "../../server/connections/service.js";
import type { Run } from "../../server/runs/types.js";
import { readOptions } from "../connector-options.js";
import type { CliContext } from "../context.js";
import { createProgress } from "../progress.js";
import { renderTable } from "../table.js";
import { DB_HELP } from "./server.js";

export function connectionsCommand(context: () => CliContext): Command {
  const command = new Command("connections")
    .description("connections (a connector with its options, streams and schedule), as `sluice server` keeps them")
    .addHelpText(
      "after",
      `
Examples:
  sluice connections create --name gen --connector generator --options '{"count": 1000}' --schedule 'every 1h'
  sluice connections create --name gh --connector github --options-file gh.json --secret /token   # not run: needs that connector
  sluice connections list
  sluice connections run gen`,
    );
  for (const sub of [listCommand(context), createCommand(context), runCommand(context)])
    command.addCommand(sub.exitOverride().showHelpAfterError());
  return command;
}

function listCommand(context: () => CliContext): Command {
  return new Command("list")
    .description("every connection: connector, schedule, last run")
    .option("--db <file>", DB_HELP, "sluice.db")
    .action(async (flags: { db: string }) => {
      const ctx = context();
      await withApp(ctx, flags.db, async (app) => {
        const connections = await app.connections.list();
        const latest = await app.runs.latest(connections.map((c) => c.id));
        const rows = connections.map((c) => ({ ...c, lastRun: latest.get(c.id) ?? null }));
        ctx.result(rows, renderList(rows));
      });
    });
}

interface CreateFlags {
  db: string;
  name: string;
  connector: string;
  options?: string;
  optionsFile?: string;
  raw?: boolean;
  secret: string[];
  streams?: string;
  tablePrefix?: string;
  destination?: string;
  schedule?: string;
}

function createCommand(context: () => CliContext): Command {
  return new Command("create")
    .description("make a connection to an installed connector; secret options are stored encrypted")
    .requiredOption("--name <name>", "the connection's name: names its tables, state and sync log")
    .requiredOption("--connector <name>", "an installed connector (see `sluice connectors list`)")
    .option("-o, --options <json>", "the connector's options (a JSON object; --raw for any string)")
    .option("--options-file <path>", "read the options from a file (keeps secrets out of the shell history)")
    .option("--raw", "the options are a raw string, not JSON (c1-core connectors)")
    .option(
      "--secret <pointer>",
      'a secret option beside those the connector marks, as a JSON pointer ("/token"; "" for all raw options); repeatable',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option("--streams <names>", "comma-separated streams to read (default: all)")
    .option("--table-prefix <prefix>", 'prefix of table names (default: "<name>_")')
    .option("--destination <file>", "where the data goes (default: --db)")
    .option("--schedule <when>", '"every 15m", "every 3600", or a cron expression ("0 * * * *")')
    .option("--db <file>", DB_HELP, "sluice.db")
    .action(async (flags: CreateFlags) => {
      const ctx = context();
      const options = connectionOptions(flags);
      await withApp(ctx, flags.db, async (app) => {
        const connection = await app.connections.create({
          name: flags.name,
          connector: flags.connector,
          options,
          secretPaths: flags.secret,
          streams: flags.streams
            ?.split(",")
            .map((s) => s.trim())
            .filter(Boolean),
          tablePrefix: flags.tablePrefix,
          destination: flags.destination,
          schedule: flags.schedule ? parseScheduleText(flags.schedule) : null,
        });
        ctx.result(
          connection,
          `created connection "${connection.name}" (#${connection.id}) of connector "${connection.connector}"; ` +
            `schedule: ${describeSchedule(connection.schedule)}${connection.secretPaths.length ? `; secrets sealed: ${connection.secretPaths.join(", ")}` : ""}\n` +
            `  run it: sluice connections run ${connection.name}`,
        );
      });
    });
}

function runCommand(context: () => CliContext): Command {
  return new Command("run")
    .description("run a connection's sync now, here (refused while another run of it is going, also in a server)")
    .argument("<connection>", "the connection's name")
    .option("--db <file>", DB_HELP, "sluice.db")
    .option("--no-progress", "no progress bar, even on a terminal")
    .action(async (name: string, flags: { db: string; progress: boolean }) => {
      const ctx = context();
      await withApp(ctx, flags.db, async (app) => {
        const connection = await app.connections.byName(name);
        const started = await app.runs.start(connection.id, "cli");
        const progress = createProgress(ctx, flags.progress);
        let shown = 0;
        app.runs.subscribe(started.id, (event) => {
          if (event.type === "progress") {
            const records = event.progress.records - shown;
            shown = event.progress.records;
            progress.onEvent({
              type: "page",
              stream: connection.name,
              records,
              pages: event.progress.pages,
              totals: event.progress,
              estimatedTotal: event.progress.estimatedTotal ?? undefined,
            });
          } else if (event.type === "log" && ["warn", "error"].includes(event.entry.level))
            ctx.logger.log(event.entry.level as "warn", event.entry.message, event.entry.fields);
        });
        const stopHandling = onInterrupt(
          (signal) => void app.runs.cancel(started.id, `interrupted (${signal === "SIGINT" ? "Ctrl-C" : signal})`),
        );
        try {
          const run = await app.runs.wait(started.id);
          progress.stop();
          ctx.result({ ...run, connection: connection.name }, describeRun(connection, run));
          if (run.status !== "succeeded") process.exitCode = run.status === "cancelled" ? 130 : 1;
        } finally {
          progress.stop();
          stopHandling();
        }
      });
    });
}

async function withApp<T>(ctx: CliContext, db: string, work: (app: App) => Promise<T>): Promise<T> {
  // Loaded here, not at start: other commands need none of the server's modules.
  const { App } = await import("../../server/app.js");
  const app = await App.open({ db, maxConcurrentSyncs: 1, logger: ctx.logger });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/** The options as the connection keeps them: read as the sync commands read them, then JSON unless --raw. */
function connectionOptions(flags: CreateFlags): ConnectionOptions {
  const text = readOptions(flags);
  if (flags.raw) return { format: "raw", value: text };
  if (text.trim() === "") return { format: "json", value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SluiceError(
      "USAGE",
      `the options are not JSON (${(error as Error).message}); pass --raw for a raw string`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new SluiceError("USAGE", "the options must be a JSON object; pass --raw for a raw string");
  return { format: "json", value: value as Record<string, never> };
}

function describeRun(connection: Connection, run: Run): string {
  const seconds = run.durationMs === null ? "-" : (run.durationMs / 1000).toFixed(2);
  const lines = [
    `run ${run.id} of "${connection.name}" ${run.status}: ${run.records} records (${run.inserted} inserted, ${run.updated} updated, ` +
      `${run.unchanged} unchanged), ${run.pages} pages, ${seconds} s${run.recordsPerSecond ? `, ${run.recordsPerSecond} records/s` : ""}`,
  ];
  if (run.error) lines.push(`  error: ${run.error.split("\n").join("\n  ")}`);
  return lines.join("\n");
}

function renderList(rows: (Connection & { lastRun: Run | null })[]): string {
  if (rows.length === 0) return "(no connections yet: `sluice connections create`, or the web UI of `sluice server`)";
  return renderTable(
    ["NAME", "CONNECTOR", "SCHEDULE", "NEXT RUN", "LAST RUN"],
    rows.map((c) => [
      c.name,
      c.connector,
      `${describeSchedule(c.schedule)}${c.paused ? " (paused)" : ""}`,
      c.nextRunAt ?? "-",
      c.lastRun ? `#${c.lastRun.id} ${c.lastRun.status} ${c.lastRun.finishedAt ?? c.lastRun.queuedAt}` : "-",
    ]),
  );
}

/** `sluice sync`: run a connector and upsert what it reads into the store. */
import { Command } from "commander";
import { runSync, SqliteStore, type SyncSummary } from "../../engine/index.js";
import { SluiceError } from "../../errors.js";
import { addConnectorOptions, type ConnectorFlags, openFromFlags, readOptions } from "../connector-options.js";
import type { CliContext } from "../context.js";
import { createProgress } from "../progress.js";
import { addQlikOptions, openQlikFromFlags, type QlikFlags } from "../qlik-options.js";

interface SyncFlags extends ConnectorFlags, QlikFlags {
  db: string;
  streams?: string;
  fullRefresh?: boolean;
  tablePrefix?: string;
  timeout?: string;
  progress: boolean;
}

export function syncCommand(context: () => CliContext): Command {
  const command = new Command("sync")
    .description("run a connector and upsert every record it sends into the store")
    .option("--db <file>", "SQLite database file", "sluice.db")
    .option("--streams <names>", "comma-separated streams to read (default: all)")
    .option("--full-refresh", "ignore the saved state and read everything")
    .option("--table-prefix <prefix>", "prefix of table names (default: \"<name>_\")")
    .option("--timeout <seconds>", "stop the connector and fail if the sync takes longer")
    .option("--no-progress", "no progress bar, even on a terminal")
    .addHelpText(
      "after",
      `
Examples:
  sluice sync --command ./examples/go/files/bin/files --options '{"root": "."}'
  sluice sync -c "./examples/go/generator/bin/generator" -o '{"count": 100000}' --db data.db
  sluice sync -c ".venv/bin/python examples/python/gitlog/main.py" -o '{"repo": "."}' --json
  sluice sync --qlik localhost:50051 --statement 'SELECT * FROM airports' --connection-string 'host=db'`,
    );
  addQlikOptions(addConnectorOptions(command)).action(async (flags: SyncFlags) => {
    const ctx = context();
    const options = readOptions(flags);
    const timeoutMs = parseTimeout(flags.timeout);
    const store = SqliteStore.open(flags.db);
    const cancel = new AbortController();
    const onSignal = () => cancel.abort(new SluiceError("SYNC_CANCELLED", "interrupted (Ctrl-C)"));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const timer = timeoutMs ? setTimeout(() => cancel.abort(new SluiceError("SYNC_TIMEOUT", `timed out after ${flags.timeout} s (--timeout)`)), timeoutMs) : undefined;
    const { driver, name } = flags.qlik ? openQlikFromFlags(flags) : await openFromFlags(flags, ctx.logger);
    const progress = createProgress(ctx, flags.progress);
    try {
      const summary = await runSync({
        connector: name,
        driver,
        store,
        options,
        streams: flags.streams?.split(",").map((s) => s.trim()).filter(Boolean),
        fullRefresh: flags.fullRefresh,
        tablePrefix: flags.tablePrefix,
        signal: cancel.signal,
        onEvent: (event) => progress.onEvent(event),
      });
      progress.stop();
      ctx.result({ ...summary, db: store.location }, describeSummary(summary, store.location));
    } finally {
      progress.stop();
      clearTimeout(timer);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await driver.close();
      await store.close();
    }
  });
  return command;
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!(seconds > 0)) throw new SluiceError("USAGE", `--timeout must be a positive number of seconds (got "${value}")`);
  return seconds * 1000;
}

export function describeSummary(summary: SyncSummary, db: string): string {
  const seconds = (summary.durationMs / 1000).toFixed(2);
  const lines = [`synced "${summary.connector}" (${summary.protocol}) into ${db} — sync #${summary.syncId}`];
  for (const [stream, s] of Object.entries(summary.streams)) {
    lines.push(`  ${stream} → table ${s.table}: ${s.inserted} inserted, ${s.updated} updated, ${s.unchanged} unchanged (${s.pages} pages)`);
  }
  lines.push(
    `  total: ${summary.records} records (${summary.inserted} inserted, ${summary.updated} updated, ${summary.unchanged} unchanged), ` +
      `${summary.pages} pages, ${seconds} s, ${summary.recordsPerSecond} records/s`,
  );
  if (summary.message) lines.push(`  connector said: ${summary.message}`);
  return lines.join("\n");
}

/** `sluice sync`: run a connector and upsert what it reads into the store. */
import { Command } from "commander";
import { writeFileSync } from "node:fs";
import {
  CONDUIT_IDLE_STOP_SECONDS,
  runSync,
  type Store,
  type SyncJob,
  type SyncSummary,
  syncStopFor,
} from "../../engine/index.js";
import { SluiceError, UsageError } from "../../errors.js";
import { jsonText } from "../../protocol/json.js";
import { onInterrupt } from "../../process/index.js";
import { addConnectorOptions, type ConnectorFlags, openFromFlags, readOptions } from "../connector-options.js";
import type { CliContext } from "../context.js";
import { addStoreOptions, openStoreFromFlags, STORE_HELP, type StoreFlags } from "../store-options.js";
import { createProgress } from "../progress.js";
import { addQlikOptions, openQlikFromFlags, type QlikFlags } from "../qlik-options.js";
import { optionalPositiveNumber } from "../numbers.js";

/** The flags of every command that syncs a source into the store. */
export interface StoreSyncFlags extends StoreFlags {
  streams?: string;
  fullRefresh?: boolean;
  tablePrefix?: string;
  timeout?: string;
  progress: boolean;
}

interface SyncFlags extends ConnectorFlags, QlikFlags, StoreSyncFlags {
  maxRecords?: string;
  idleStop?: string;
}

export function addStoreSyncOptions(command: Command): Command {
  return addStoreOptions(command)
    .option("--streams <names>", "comma-separated streams to read (default: all)")
    .option("--full-refresh", "ignore the saved state and read everything")
    .option("--table-prefix <prefix>", 'prefix of table names (default: "<name>_")')
    .option("--timeout <seconds>", "stop the connector and fail if the sync takes longer")
    .option("--no-progress", "no progress bar, even on a terminal");
}

/** Syncs an opened source into the store the flags name. */
export function syncWithFlags(
  ctx: CliContext,
  source: { connector: string; driver: SyncJob["driver"]; options: string; stop?: SyncJob["stop"] },
  flags: StoreSyncFlags,
): Promise<SyncSummary> {
  return executeSync(ctx, {
    ...source,
    db: flags.db,
    schema: flags.schema,
    stop: source.stop,
    streams: flags.streams
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    fullRefresh: flags.fullRefresh,
    tablePrefix: flags.tablePrefix,
    timeoutMs: parseTimeout(flags.timeout),
    progress: flags.progress,
  });
}

export function syncCommand(context: () => CliContext): Command {
  const command = addStoreSyncOptions(
    new Command("sync").description("run a connector and upsert every record it sends into the store"),
  ).addHelpText(
    "after",
    `
Examples:
  sluice sync --command ./examples/go/files/bin/files --options '{"root": "."}'
  sluice sync -c "./examples/go/generator/bin/generator" -o '{"count": 100000}' --db data.db
  sluice sync -c ".venv/bin/python examples/python/gitlog/main.py" -o '{"repo": "."}' --json
  sluice sync --qlik localhost:50051 --statement 'SELECT * FROM generator_users' --connection-string 'host=db'
  PGPASSWORD=… sluice sync -c ./examples/go/generator/bin/generator --db postgres://me@localhost/analytics
  sluice sync -c ./examples/go/generator/bin/generator --db duckdb:analytics.duckdb

Any kind of connector runs here, by installed name (\`sluice sync <name>\`) or
by command: with the protocol recorded when it was installed, --protocol, or
detected. For an Airbyte source, a Singer tap or a Code Climate connector the
options are its config (JSON); for a Conduit source, its config as a JSON
object of strings. A Conduit source never ends by itself: it stops after
--max-records, or once no record arrived for --idle-stop seconds (default ${CONDUIT_IDLE_STOP_SECONDS}).
${STORE_HELP}`,
  );
  addQlikOptions(addConnectorOptions(command))
    .option("--max-records <n>", "a source that never ends (Conduit): stop after this many records")
    .option(
      "--idle-stop <seconds>",
      `a source that never ends (Conduit): stop once no record arrived for this long (default ${CONDUIT_IDLE_STOP_SECONDS})`,
    )
    .action(async (flags: SyncFlags) => {
      const ctx = context();
      const options = readOptions(flags);
      parseTimeout(flags.timeout); // a bad --timeout is refused before a connector starts
      const given = stopConditions(flags);
      const { driver, name, protocol } = flags.qlik
        ? { ...(await openQlikFromFlags(flags)), protocol: "qlik" }
        : await openFromFlags(flags, ctx.logger, { airbyte: { onConfigUpdate: saveConfigTo(ctx, flags.optionsFile) } });
      const { stop, defaulted } = syncStopFor(protocol, given);
      if (defaulted) {
        ctx.logger.info(
          `a Conduit source never ends by itself: the sync stops once no record arrived for ${CONDUIT_IDLE_STOP_SECONDS} s (--idle-stop, --max-records)`,
        );
      }
      await syncWithFlags(ctx, { connector: name, driver, options, stop }, flags);
    });
  return command;
}

function stopConditions(flags: SyncFlags): { maxRecords?: number; idleMs?: number } {
  const idle = optionalPositiveNumber(flags.idleStop, "--idle-stop");
  return {
    maxRecords: optionalPositiveNumber(flags.maxRecords, "--max-records"),
    idleMs: idle === undefined ? undefined : idle * 1000,
  };
}

/** An Airbyte source's CONTROL message updates its config: kept in the options file it came from, if any. */
function saveConfigTo(ctx: CliContext, file: string | undefined): (config: Record<string, unknown>) => void {
  return (config) => {
    if (!file)
      return ctx.logger.warn("the source updated its config, but it came from no file (--options-file) to save it in");
    writeFileSync(file, `${jsonText(config, 2)}\n`);
    ctx.logger.info(`saved the source's updated config to ${file}`);
  };
}

export interface SyncCommandJob extends Omit<SyncJob, "store" | "signal" | "onEvent"> {
  db: string;
  schema?: string;
  timeoutMs?: number;
  progress: boolean;
  /** Extra fields of the --json result. */
  extra?: () => Record<string, unknown>;
}

/**
 * What every command that syncs into the store does around runSync: open the
 * store, Ctrl-C and --timeout as a cancel, the progress bar, the summary;
 * and the connector and the store closed whatever happens.
 */
export async function executeSync(ctx: CliContext, job: SyncCommandJob): Promise<SyncSummary> {
  const { db, schema, timeoutMs, progress: showProgress, extra, ...sync } = job;
  const cancel = new AbortController();
  const onSignal = () => cancel.abort(new SluiceError("SYNC_CANCELLED", "interrupted (Ctrl-C)"));
  const timer = timeoutMs
    ? setTimeout(
        () => cancel.abort(new SluiceError("SYNC_TIMEOUT", `timed out after ${timeoutMs / 1000} s (--timeout)`)),
        timeoutMs,
      )
    : undefined;
  const progress = createProgress(ctx, showProgress);
  let store: Store | undefined;
  const stopHandling = onInterrupt(onSignal);
  try {
    store = await openStoreFromFlags(ctx, { db, schema });
    const summary = await runSync({
      ...sync,
      store,
      signal: cancel.signal,
      onEvent: (event) => progress.onEvent(event),
    });
    progress.stop();
    ctx.result({ ...summary, db: store.location, ...extra?.() }, describeSummary(summary, store.location));
    return summary;
  } finally {
    progress.stop();
    clearTimeout(timer);
    stopHandling();
    await job.driver.close();
    await store?.close();
  }
}

export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!(seconds > 0)) throw new UsageError(`--timeout must be a positive number of seconds (got "${value}")`);
  return seconds * 1000;
}

export function describeSummary(summary: SyncSummary, db: string): string {
  const seconds = (summary.durationMs / 1000).toFixed(2);
  const lines = [`synced "${summary.connector}" (${summary.protocol}) into ${db} — sync #${summary.syncId}`];
  for (const [stream, s] of Object.entries(summary.streams)) {
    lines.push(
      `  ${stream} → table ${s.table}: ${s.inserted} inserted, ${s.updated} updated, ${s.unchanged} unchanged (${s.pages} pages)`,
    );
  }
  lines.push(
    `  total: ${summary.records} records (${summary.inserted} inserted, ${summary.updated} updated, ${summary.unchanged} unchanged), ` +
      `${summary.pages} pages, ${seconds} s, ${summary.recordsPerSecond} records/s`,
  );
  if (summary.message) lines.push(`  connector said: ${summary.message}`);
  return lines.join("\n");
}

/** `sluice worker`: runs syncs handed out by Temporal, on any number of machines sharing one PostgreSQL. */
import { Command } from "commander";
import { SluiceError, UsageError } from "../../errors.js";
import { onInterrupt } from "../../process/index.js";
import type { CliContext } from "../context.js";
import { addTemporalOptions, TEMPORAL_HELP, type TemporalFlags, temporalSettings } from "../temporal-options.js";

interface WorkerFlags extends TemporalFlags {
  db?: string;
  maxConcurrentSyncs: string;
}

export function workerCommand(context: () => CliContext): Command {
  const command = new Command("worker")
    .description("poll a Temporal task queue and run the syncs it hands out (distributed mode)")
    .addHelpText(
      "after",
      `
Each sync is a workflow sync-<connection> on Temporal; its activity runs the
connector here and writes to PostgreSQL, heartbeating its progress. If this
worker dies, Temporal retries the sync on another worker, which resumes from
the state committed with the rows. Connectors are the ones installed here
(SLUICE_HOME); a connection that names a manifest is installed on first use.
Ctrl-C stops taking syncs and stops running connectors gracefully (they are
retried elsewhere). Start syncs with \`sluice server --temporal\`.
${TEMPORAL_HELP}

Examples:
  sluice worker --temporal 127.0.0.1:7233 --db postgres://sluice@db.internal/sluice   # not run: needs Temporal
  PGPASSWORD=… sluice worker --temporal temporal.internal:7233 --namespace data \\
      --db postgres://sluice@db.internal/sluice --max-concurrent-syncs 8   # not run: needs Temporal
  TEMPORAL_API_KEY=… sluice worker --temporal my-ns.a1b2c.tmprl.cloud:7233 --namespace my-ns.a1b2c --tls \\
      --db postgres://sluice@db.internal/sluice   # not run: needs Temporal Cloud`,
    )
    .option(
      "--db <postgres-url>",
      "where syncs write (unless their connection names a destination): postgres://…; password via PGPASSWORD",
      process.env.SLUICE_DB,
    )
    .option("--max-concurrent-syncs <n>", "syncs this worker runs at once", "4");
  addTemporalOptions(command, "Temporal's frontend, host:port (required)");
  return command.action(async (flags: WorkerFlags) => {
    const ctx = context();
    const settings = temporalSettings(flags);
    if (!settings) throw new UsageError("sluice worker needs --temporal <host:port> (or TEMPORAL_ADDRESS)");
    if (!flags.db) throw new UsageError("sluice worker needs --db postgres://… (or SLUICE_DB): the shared store");
    const maxConcurrentSyncs = Number(flags.maxConcurrentSyncs);
    if (!Number.isInteger(maxConcurrentSyncs) || maxConcurrentSyncs < 1)
      throw new UsageError(
        `--max-concurrent-syncs must be a whole number of at least 1 (got "${flags.maxConcurrentSyncs}")`,
      );
    const stop = new AbortController();
    const stopListening = onInterrupt((signal) => {
      ctx.logger.info(`${signal}: stopping: no new syncs; running connectors are stopped gracefully`);
      stop.abort(new SluiceError("SYNC_CANCELLED", `the worker was stopped (${signal})`));
    });
    try {
      // Temporal's SDK (and its native core) loads only when a worker runs.
      const { runWorker } = await import("../../worker/index.js");
      await runWorker({
        ...settings,
        taskQueue: flags.taskQueue,
        db: flags.db,
        maxConcurrentSyncs,
        logger: ctx.logger,
        signal: stop.signal,
      });
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    } finally {
      stopListening();
    }
  });
}

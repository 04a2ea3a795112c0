/**
 * `sluice pipeline run`: a source into a destination with Conduit's delivery
 * guarantees. Either end can be a Conduit connector (standalone process or
 * built-in); the source can be any connector Sluice runs (openSource); the
 * destination can be a store (`sqlite:<file>`, `postgres://…`, `duckdb:<file>`).
 */
import { Command } from "commander";
import {
  type ConnectorUtilities,
  nameFromCommand,
  openSource,
  type PipelineFrom,
  type PipelineSummary,
  type PipelineTo,
  isStoreLocation,
  openStore,
  parseStoreLocation,
  SecretBox,
  SOURCE_PROTOCOLS,
  type SourceProtocolChoice,
  type SourceReference,
} from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import { onInterrupt } from "../../process/index.js";
import { secretKeyFile } from "../../registry/index.js";
import { BUILTIN_PREFIX, collect, installedOrUndefined, openConduitConnector, readConfig } from "../conduit-options.js";
import { readSecretFile } from "../connector-options.js";
import type { CliContext } from "../context.js";
import { isFile } from "../connector-options.js";
import { createProgress } from "../progress.js";
import { optionalPositiveNumber } from "../numbers.js";

interface PipelineFlags {
  from: string;
  fromConfig: string[];
  fromConfigFile?: string;
  fromOptions?: string;
  fromOptionsFile?: string;
  fromProtocol: string;
  to: string;
  toConfig: string[];
  toConfigFile?: string;
  name?: string;
  stateDb: string;
  maxRecords?: string;
  idleStop?: string;
  tablePrefix?: string;
  schema?: string;
  stopTimeout: string;
  progress: boolean;
}

/** Names the pipeline after its destination store: the file's name, or "postgres". */
function storeName(to: string): string {
  const location = parseStoreLocation(to);
  return location.kind === "postgres" ? "postgres" : nameFromCommand(location.file);
}

/**
 * A --to that looks like a database file but has no store prefix would be run
 * as a connector ("executable not found"): say what was probably meant.
 */
function checkDestination(to: string): void {
  if (isStoreLocation(to) || !/\.(db|sqlite3?|duckdb)$/i.test(to) || isFile(to)) return;
  const store = /\.duckdb$/i.test(to) ? `duckdb:${to}` : `sqlite:${to}`;
  throw new UsageError(
    `--to ${to}: a store is named with its kind, --to ${store}; without it "${to}" is taken for a connector to run`,
  );
}

const sourceConfig = (flags: PipelineFlags) =>
  readConfig({ flag: "--from-config", pairs: flags.fromConfig, file: flags.fromConfigFile, env: "SLUICE_FROM_CONFIG" });
const destinationConfig = (flags: PipelineFlags) =>
  readConfig({ flag: "--to-config", pairs: flags.toConfig, file: flags.toConfigFile, env: "SLUICE_TO_CONFIG" });

/** A Sluice source's options: --from-options(-file), SLUICE_FROM_OPTIONS, else the source config as a JSON object. */
function sourceOptions(flags: PipelineFlags): string {
  if (flags.fromOptions !== undefined && flags.fromOptionsFile !== undefined)
    throw new UsageError("give either --from-options or --from-options-file, not both");
  if (flags.fromOptionsFile !== undefined) return readSecretFile(flags.fromOptionsFile, "--from-options-file");
  return flags.fromOptions ?? process.env.SLUICE_FROM_OPTIONS ?? JSON.stringify(sourceConfig(flags));
}

/**
 * The source, of any kind (openSource); its options are --from-options, or the --from-config pairs as a JSON
 * object. A Conduit source shares the pipeline's utilities: a Conduit destination reads the schemas it registers.
 */
async function openFrom(
  ctx: CliContext,
  flags: PipelineFlags,
  pipeline: string,
  utilities: ConnectorUtilities,
): Promise<PipelineFrom> {
  const protocol = flags.fromProtocol as SourceProtocolChoice;
  const reference: SourceReference = installedOrUndefined(flags.from)
    ? { installed: flags.from, protocol }
    : { command: flags.from, protocol };
  const { name, driver } = await openSource(reference, {
    logger: ctx.logger,
    conduit: { connectorId: `${pipeline}:source`, utilities },
  });
  return {
    kind: "driver",
    name,
    driver,
    options: sourceOptions(flags),
  };
}

function describe(summary: PipelineSummary, to: string): string {
  const lines = [
    `pipeline "${summary.name}" → ${to}: ${summary.records} records, ${summary.acked} acked${summary.deleted ? `, ${summary.deleted} deleted` : ""} in ${(summary.durationMs / 1000).toFixed(2)} s (${summary.recordsPerSecond} records/s)`,
    `  stopped by: ${summary.stoppedBy}; lifecycle: ${
      Object.entries(summary.lifecycle)
        .map(([side, event]) => `${side} ${event}`)
        .join(", ") || "none"
    }`,
  ];
  if (summary.position !== undefined) lines.push(`  saved position: ${summary.position}`);
  for (const [stream, table] of Object.entries(summary.tables ?? {})) lines.push(`  ${stream} → table ${table}`);
  return lines.join("\n");
}

export function pipelineCommand(context: () => CliContext): Command {
  const command = new Command("pipeline").description(
    "run pipelines: a source into a destination, with acks and saved positions",
  );
  command.addCommand(
    new Command("run")
      .description("move records from a source to a destination until stopped (--max-records, --idle-stop, Ctrl-C)")
      .requiredOption(
        "--from <connector>",
        `the source: an installed name, a command or path to an executable, or ${BUILTIN_PREFIX}<module>`,
      )
      .option("--from-config <key=value>", "source config (repeatable)", collect, [])
      .option(
        "--from-config-file <file>",
        "source config as a JSON object (keeps secrets out of argv; env SLUICE_FROM_CONFIG too; --from-config pairs override)",
      )
      .option("--from-options <raw>", "a Sluice source's options string (default: the --from-config pairs as JSON)")
      .option("--from-options-file <file>", "read --from-options from a file (env SLUICE_FROM_OPTIONS too)")
      .option(
        "--from-protocol <protocol>",
        `what the source speaks: ${SOURCE_PROTOCOLS.join(", ")} (auto: recorded at install, else detected)`,
        "auto",
      )
      .requiredOption(
        "--to <destination>",
        "a store (sqlite:<file>, postgres://…, duckdb:<file>), or a Conduit connector like --from",
      )
      .option("--to-config <key=value>", "destination config (repeatable)", collect, [])
      .option(
        "--to-config-file <file>",
        "destination config as a JSON object (keeps secrets out of argv; env SLUICE_TO_CONFIG too; --to-config pairs override)",
      )
      .option("--name <name>", "pipeline name: keys its saved positions and configs (default: from the two ends)")
      .option("--state-db <file>", "where positions are kept when the destination is a connector", "sluice.db")
      .option("--max-records <n>", "stop (gracefully) after this many records")
      .option("--idle-stop <seconds>", "stop (gracefully) when no record arrived for this long")
      .option(
        "--stop-timeout <seconds>",
        "how long a stop (Stop, the last records and acks, Teardown) may take before the pipeline fails instead",
        "30",
      )
      .option("--table-prefix <prefix>", 'prefix of table names in the store (default: "<name>_")')
      .option("--schema <name>", 'PostgreSQL or DuckDB schema of the store (default: "sluice" / "main")')
      .option("--no-progress", "no progress bar, even on a terminal")
      .addHelpText(
        "after",
        `
Examples:
  sluice pipeline run --from test/interop/conduit/bin/conduit-connector-generator \\
      --from-config recordCount=1000 --from-config format.type=structured \\
      --from-config format.options.id=int --to sqlite:data.db --max-records 1000
  sluice pipeline run --from "./examples/go/generator/bin/generator" --from-options '{"count": 100}' \\
      --to test/interop/conduit/bin/conduit-connector-file --to-config path=out.jsonl
  sluice pipeline run --from builtin:examples/ts/dist/conduit/main.js --from-config count=50 \\
      --to sqlite:data.db --max-records 50
  PGPASSWORD=… sluice pipeline run --from test/interop/conduit/bin/conduit-connector-generator \\
      --from-config recordCount=100 --from-config format.type=structured \\
      --to postgres://me@localhost/analytics --max-records 100
(Conduit's generator and file connectors: npm run examples builds them in test/interop/conduit/bin.)

A Conduit source runs until stopped; on a stop Sluice calls Stop, waits for the records up
to the last position, acks them, and calls Teardown. Its position is saved only after the
records before it are durable at the destination, so the next run resumes from there.`,
      )
      .action(async (flags: PipelineFlags) => {
        const ctx = context();
        if (!(SOURCE_PROTOCOLS as readonly string[]).includes(flags.fromProtocol))
          throw new UsageError(`--from-protocol must be one of ${SOURCE_PROTOCOLS.join(", ")}`);
        checkDestination(flags.to);
        // checked before anything starts or any store is created
        const maxRecords = optionalPositiveNumber(flags.maxRecords, "--max-records");
        const idleStopMs = (optionalPositiveNumber(flags.idleStop, "--idle-stop") ?? 0) * 1000 || undefined;
        const stopTimeoutMs = (optionalPositiveNumber(flags.stopTimeout, "--stop-timeout") ?? 0) * 1000;
        const name =
          flags.name ??
          `${nameFromCommand(flags.from.replace(BUILTIN_PREFIX, ""))}-to-${isStoreLocation(flags.to) ? storeName(flags.to) : nameFromCommand(flags.to)}`;
        const { ConnectorUtilities, runPipeline, SchemaDecoder } = await import("../../engine/drivers.js");
        const utilities = await ConnectorUtilities.start();
        const cancel = new AbortController();
        const stopHandling = onInterrupt(() => cancel.abort());
        const closers: (() => Promise<unknown>)[] = [() => utilities.close()];
        const progress = createProgress(ctx, flags.progress);
        try {
          const open = (target: string, side: string) =>
            openConduitConnector(target, { utilities, logger: ctx.logger, connectorId: `${name}:${side}` });
          const from: PipelineFrom = flags.from.startsWith(BUILTIN_PREFIX)
            ? {
                kind: "conduit",
                handle: await open(flags.from, "source"),
                config: sourceConfig(flags),
              }
            : await openFrom(ctx, flags, name, utilities);
          closers.unshift(() => (from.kind === "conduit" ? from.handle.close() : from.driver.close()));
          const toStore = isStoreLocation(flags.to);
          // a destination connector starts before the state store is opened: one that fails creates no file
          const handle = toStore ? undefined : await open(flags.to, "destination");
          if (handle) closers.unshift(() => handle.close());
          const store = await openStore(toStore ? flags.to : flags.stateDb, {
            schema: flags.schema,
            warn: (message) => ctx.logger.warn(message),
          });
          closers.push(() => store.close());
          const to: PipelineTo = handle
            ? { kind: "conduit", handle, config: destinationConfig(flags) }
            : { kind: "store", store, tablePrefix: flags.tablePrefix };
          let shown = 0;
          const summary = await runPipeline({
            name,
            from,
            to,
            state: store,
            secrets: SecretBox.fromKeyFile(secretKeyFile()),
            maxRecords,
            idleStopMs,
            stopTimeoutMs,
            signal: cancel.signal,
            logger: ctx.logger,
            schemas: new SchemaDecoder(utilities),
            onProgress: ({ records, stream }) => {
              progress.onEvent({
                type: "page",
                stream,
                records: records - shown,
                pages: 0,
                totals: { inserted: records, updated: 0, unchanged: 0 },
              });
              shown = records;
            },
          });
          progress.stop();
          ctx.result({ ...summary, to: flags.to }, describe(summary, flags.to));
        } finally {
          progress.stop();
          stopHandling();
          for (const close of closers) await close().catch(() => {});
        }
      }),
  );
  for (const sub of command.commands) sub.exitOverride().showHelpAfterError();
  return command;
}

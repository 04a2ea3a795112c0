/**
 * `sluice airbyte spec|check|discover|catalog|sync`: Airbyte sources run as
 * plain subprocesses (an installed connector's name, or --command), synced
 * into the store with the same progress and summary as `sluice sync`.
 */
import { Command } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { AirbyteDriver, type AirbyteSettings, nameFromCommand } from "../../engine/index.js";
import { messageOf, UsageError } from "../../errors.js";
import { replaceFileDurably } from "../../files.js";
import { parseJsonQuietly } from "../../json.js";
import { resolveInstalled } from "../connector-options.js";
import type { CliContext } from "../context.js";
import { addStoreSyncOptions, type StoreSyncFlags, syncWithFlags } from "./sync.js";

export interface SourceFlags {
  connector?: string;
  command?: string;
  cwd?: string;
  name?: string;
  config?: string;
  catalog?: string;
}

interface AirbyteSyncFlags extends SourceFlags, StoreSyncFlags {}

/** What the shared flags say, per kind of subprocess source. */
const SOURCE_TEXTS = {
  airbyte: {
    command: "shell command that starts the source, e.g. .venv/bin/source-faker (the verb and flags are appended)",
    config: "the source's config (JSON); a CONTROL message from the source updates this file",
  },
  singer: {
    command:
      "shell command that starts the tap, e.g. .venv/bin/tap-github (--config, --discover, --catalog are appended)",
    config: "the tap's config (JSON), passed as --config",
  },
} as const;

export function sourceOptions(
  command: Command,
  needsConfig: boolean,
  kind: keyof typeof SOURCE_TEXTS = "airbyte",
): Command {
  const texts = SOURCE_TEXTS[kind];
  command
    .argument("[connector]", "an installed connector's name (see `sluice connectors list`); or --command")
    .option("-c, --command <command>", texts.command)
    .option("--cwd <dir>", "working directory of the source")
    .option("--name <name>", "connector instance name (names tables, state and log entries)");
  if (needsConfig) command.option("--config <file>", texts.config);
  return command;
}

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

export function parseJsonFile(path: string, what: string): unknown {
  const text = readText(path, what);
  try {
    return parseJsonQuietly(text);
  } catch (error) {
    throw new UsageError(`${what} ${path} is ${messageOf(error)}`);
  }
}

/**
 * A source's --config file, checked to be a JSON object before a source sees
 * it: a source that chokes on it would print it (and its passwords) in its
 * error, and Sluice's own message names only the line and column.
 */
export function readConfigFile(path: string): string {
  const value = parseJsonFile(path, "the config file");
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError(`the config file ${path} must hold a JSON object`);
  return readText(path, "the config file");
}

interface OpenedSource {
  driver: AirbyteDriver;
  name: string;
  options: string;
}

function openSource(ctx: CliContext, connector: string | undefined, flags: SourceFlags): OpenedSource {
  const resolved = resolveInstalled({ ...flags, connector });
  if (!resolved.command)
    throw new UsageError(
      'say which Airbyte source to run: an installed connector\'s name, or --command "<shell command>"',
    );
  const name = resolved.name ?? nameFromCommand(resolved.command, resolved.cwd);
  const options = flags.config ? readConfigFile(flags.config) : "{}";
  const configPath = flags.config;
  const settings: AirbyteSettings = {
    logger: ctx.logger,
    ...(flags.catalog
      ? { catalog: parseJsonFile(flags.catalog, "the catalog file"), catalogSource: flags.catalog }
      : {}),
    onConfigUpdate: (config) => {
      if (!configPath)
        return ctx.logger.warn("the source updated its config, but it came from no file (--config) to save it in");
      replaceFileDurably(configPath, JSON.stringify(config, null, 2) + "\n");
      ctx.logger.info(`saved the source's updated config to ${configPath}`);
    },
  };
  return { driver: new AirbyteDriver({ command: resolved.command, cwd: resolved.cwd, name }, settings), name, options };
}

/**
 * Airbyte's protocol passes a config to check, discover and read: without one a
 * source fails in its own way (a Python traceback, once per verb), so it is
 * said first, in one line, before the source starts.
 */
function requireConfig(flags: SourceFlags, verb: string): void {
  if (flags.config !== undefined) return;
  throw new UsageError(`${verb} needs --config <file>: the source's config, as JSON (its fields: sluice airbyte spec)`);
}

async function withSource<T>(
  ctx: CliContext,
  connector: string | undefined,
  flags: SourceFlags,
  work: (source: OpenedSource) => Promise<T>,
  verb?: string,
): Promise<T> {
  if (verb) requireConfig(flags, verb);
  const source = openSource(ctx, connector, flags);
  try {
    return await work(source);
  } finally {
    await source.driver.close();
  }
}

export function airbyteCommand(context: () => CliContext): Command {
  const command = new Command("airbyte").description(
    "run Airbyte sources (e.g. pip install airbyte-source-faker) without Docker",
  );

  command.addCommand(
    sourceOptions(new Command("spec"), false)
      .description("print the source's connection specification (JSON Schema of its config)")
      .action((connector: string | undefined, flags: SourceFlags) =>
        withSource(context(), connector, flags, async ({ driver }) => {
          const spec = await driver.spec();
          context().result(spec.optionsSchema, JSON.stringify(spec.optionsSchema, null, 2));
        }),
      ),
  );
  command.addCommand(
    sourceOptions(new Command("check"), true)
      .description("run the source's check with the config; exit 1 when it fails")
      .action((connector: string | undefined, flags: SourceFlags) =>
        withSource(
          context(),
          connector,
          flags,
          async ({ driver, options }) => {
            const result = await driver.check(options);
            context().result(result, result.ok ? "check succeeded" : `check failed:\n  ${result.errors.join("\n  ")}`);
            if (!result.ok) process.exitCode = 1;
          },
          "check",
        ),
      ),
  );
  command.addCommand(
    sourceOptions(new Command("discover"), true)
      .description("list the source's streams: sync modes, primary key, cursor")
      .action((connector: string | undefined, flags: SourceFlags) =>
        withSource(
          context(),
          connector,
          flags,
          async ({ driver, options }) => {
            const streams = await driver.discoverCatalog(options);
            const lines = streams.map((s) => {
              const key = s.source_defined_primary_key?.map((p) => p.join(".")).join(", ") || "none";
              return `${s.name}: ${(s.supported_sync_modes ?? ["full_refresh"]).join(", ")}; primary key ${key}; cursor ${s.default_cursor_field?.join(".") || "none"}`;
            });
            context().result({ streams }, lines.join("\n"));
          },
          "discover",
        ),
      ),
  );
  command.addCommand(
    sourceOptions(new Command("catalog"), true)
      .description(
        "write the configured catalog Sluice would use (defaults from discover) to edit and pass to sync --catalog",
      )
      .option("-o, --out <file>", "write it to this file instead of stdout")
      .action((connector: string | undefined, flags: SourceFlags & { out?: string }) =>
        withSource(
          context(),
          connector,
          { ...flags, catalog: undefined },
          async ({ driver, options }) => {
            const text = JSON.stringify(await driver.configuredCatalog(options), null, 2) + "\n";
            if (flags.out) writeFileSync(flags.out, text);
            else process.stdout.write(text);
          },
          "catalog",
        ),
      ),
  );
  command.addCommand(
    addStoreSyncOptions(sourceOptions(new Command("sync"), true))
      .description(
        "read the source into the store: records upserted by primary key (or appended), STATE saved with the records before it",
      )
      .option(
        "--catalog <file>",
        "configured catalog (see `sluice airbyte catalog`); default: every stream with the defaults",
      )
      .addHelpText(
        "after",
        `
Sync modes per stream come from the catalog: incremental + append_dedup (upsert by
primary key), incremental + append, full_refresh + overwrite (the table is replaced
when the sync succeeds) or full_refresh + append.

Examples:
  sluice airbyte sync -c .venv-airbyte/bin/source-faker --config faker.json --db faker.db
  sluice airbyte sync -c .venv-airbyte/bin/source-faker --db faker.db   # fails: needs --config
(npm run examples installs airbyte-source-faker in .venv-airbyte; any source: python3 -m venv
.venv && .venv/bin/pip install airbyte-source-<name>, then -c .venv/bin/source-<name>)`,
      )
      .action(async (connector: string | undefined, flags: AirbyteSyncFlags) => {
        const ctx = context();
        requireConfig(flags, "sync");
        const { driver, name, options } = openSource(ctx, connector, flags);
        await syncWithFlags(ctx, { connector: name, driver, options }, flags);
      }),
  );
  for (const sub of command.commands) sub.exitOverride().showHelpAfterError();
  return command;
}

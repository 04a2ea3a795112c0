/**
 * `sluice singer discover|sync`: Singer taps run as subprocesses, synced into
 * the store like any source (same flags as `sluice sync`).
 */
import { Command } from "commander";
import { nameFromCommand, SingerDriver } from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import { resolveInstalled } from "../connector-options.js";
import type { CliContext } from "../context.js";
import { parseJsonFile, readConfigFile, type SourceFlags, sourceOptions } from "./airbyte.js";
import { addStoreSyncOptions, type StoreSyncFlags, syncWithFlags } from "./sync.js";

interface SingerFlags extends SourceFlags {
  properties?: boolean;
}

function openTap(
  ctx: CliContext,
  connector: string | undefined,
  flags: SingerFlags,
): { driver: SingerDriver; name: string; options: string } {
  const resolved = resolveInstalled({ ...flags, connector });
  if (!resolved.command)
    throw new UsageError('say which Singer tap to run: an installed connector\'s name, or --command "<shell command>"');
  const name = resolved.name ?? nameFromCommand(resolved.command, resolved.cwd);
  const driver = new SingerDriver(
    { command: resolved.command, cwd: resolved.cwd, name },
    {
      logger: ctx.logger,
      catalogFlag: flags.properties ? "--properties" : "--catalog",
      ...(flags.catalog
        ? { catalog: parseJsonFile(flags.catalog, "the catalog file"), catalogSource: flags.catalog }
        : {}),
    },
  );
  return { driver, name, options: flags.config ? readConfigFile(flags.config) : "{}" };
}

export function singerCommand(context: () => CliContext): Command {
  const command = new Command("singer").description("run Singer taps (tap-*) as subprocesses");
  command.addCommand(
    sourceOptions(new Command("discover"), true, "singer")
      .description("print the tap's catalog (from --discover), to select streams and pass to sync --catalog")
      .action(async (connector: string | undefined, flags: SingerFlags) => {
        const ctx = context();
        const { driver, options } = openTap(ctx, connector, flags);
        try {
          process.stdout.write(JSON.stringify(await driver.loadCatalog(options), null, 2) + "\n");
        } finally {
          await driver.close();
        }
      }),
  );
  command.addCommand(
    addStoreSyncOptions(sourceOptions(new Command("sync"), true, "singer"))
      .description(
        "read the tap into the store: records upserted by key properties (or appended), STATE saved with the records before it",
      )
      .option(
        "--catalog <file>",
        "catalog with the streams selected (see `sluice singer discover`); default: every stream",
      )
      .option("--properties", "pass the catalog as --properties (older taps)")
      .action(async (connector: string | undefined, flags: SingerFlags & StoreSyncFlags) => {
        const ctx = context();
        const { driver, name, options } = openTap(ctx, connector, flags);
        await syncWithFlags(ctx, { connector: name, driver, options }, flags);
      }),
  );
  for (const sub of command.commands) sub.exitOverride().showHelpAfterError();
  return command;
}

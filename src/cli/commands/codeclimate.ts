/**
 * `sluice codeclimate <verb>`: the Code Climate CLI's verbs with the same
 * positional arguments, writing what the connector produces into the store
 * (one table per record type, upserted by id) with progress and a summary.
 */
import { Command } from "commander";
import { type CodeClimateRead, sdkPackageFolder } from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import {
  addLimitOptions,
  driverFor,
  findConnector,
  type LimitFlags,
  parseCutoff,
  parseStreamArgument,
  readConfigFile,
} from "../codeclimate-options.js";
import type { CliContext } from "../context.js";
import { addStoreOptions, type StoreFlags as StoreLocationFlags } from "../store-options.js";
import { executeSync } from "./sync.js";

interface StoreFlags extends LimitFlags, StoreLocationFlags {
  verify?: boolean;
  name?: string;
  tablePrefix?: string;
  lookbackDays: string;
  progress: boolean;
}

const CONNECTOR_HELP = `
<connector>: a slug (the package codeclimate-connector-<slug> in node_modules, or
the package in the current folder with that name), a path to a package, or the
name of a connector installed with \`sluice connectors install\`.
<config-path>: a JSON file; its top-level keys become the client's configuration.`;

function storeOptions(command: Command): Command {
  return addStoreOptions(addLimitOptions(command))
    .option("--name <name>", "connector instance name (names tables and state; default: the slug)")
    .option("--table-prefix <prefix>", 'prefix of table names (default: "<name>_")')
    .option("--lookback-days <days>", "earliest-data-cutoff of a stream's first sync, when none is given", "90")
    .option("--no-progress", "no progress bar, even on a terminal")
    .option(
      "--verify",
      "run verifyConfiguration() first and stop when the configuration is invalid (upstream's CLI does not verify)",
    )
    .addHelpText("after", CONNECTOR_HELP);
}

async function syncIntoStore(
  context: () => CliContext,
  target: string,
  configPath: string,
  read: CodeClimateRead,
  flags: StoreFlags,
): Promise<void> {
  const ctx = context();
  const connector = findConnector(target);
  const options = readConfigFile(configPath);
  const lookbackDays = Number(flags.lookbackDays);
  if (!(lookbackDays > 0))
    throw new UsageError(`--lookback-days must be a positive number (got "${flags.lookbackDays}")`);
  const driver = driverFor(connector, read, flags, ctx.logger, { lookbackDays, skipVerify: !flags.verify });
  await executeSync(ctx, {
    connector: flags.name ?? connector.slug,
    driver,
    db: flags.db,
    schema: flags.schema,
    options,
    tablePrefix: flags.tablePrefix,
    progress: flags.progress,
    extra: () => ({ peakRssBytes: driver.peakRssBytes }),
  });
}

export function codeclimateCommand(context: () => CliContext): Command {
  const command = new Command("codeclimate").description(
    "run Code Climate connectors (npm packages exporting a Client) into the store",
  );

  command.addCommand(
    addLimitOptions(new Command("verify-configuration"))
      .description(
        "check a configuration with the connector's verifyConfiguration(); prints the result as JSON, exits 1 when invalid",
      )
      .argument("<connector>")
      .argument("<config-path>")
      .addHelpText("after", CONNECTOR_HELP)
      .action(async (target: string, configPath: string, flags: LimitFlags) => {
        const ctx = context();
        const driver = driverFor(findConnector(target), { verb: "sync" }, flags, ctx.logger);
        const result = await driver.verify(readConfigFile(configPath));
        process.stdout.write(JSON.stringify(result, null, 2) + "\n");
        if (!result.isValid) process.exitCode = 1;
      }),
  );
  command.addCommand(
    storeOptions(new Command("discover-streams"))
      .description("run discoverStreams() and upsert the Stream records it produces into the store")
      .argument("<connector>")
      .argument("<config-path>")
      .action((target: string, configPath: string, flags: StoreFlags) =>
        syncIntoStore(context, target, configPath, { verb: "discover-streams" }, flags),
      ),
  );
  command.addCommand(
    storeOptions(new Command("sync-stream"))
      .description("run syncStream() for one stream and upsert every record into the store")
      .argument("<connector>")
      .argument("<config-path>")
      .argument("<stream>", "the Stream record as JSON")
      .argument(
        "[earliest-data-cutoff]",
        "ISO 8601; default: the stream's last successful sync, else --lookback-days ago",
      )
      .action((target: string, configPath: string, stream: string, cutoff: string | undefined, flags: StoreFlags) =>
        syncIntoStore(
          context,
          target,
          configPath,
          { verb: "sync-stream", stream: parseStreamArgument(stream), earliestDataCutoff: parseCutoff(cutoff) },
          flags,
        ),
      ),
  );
  command.addCommand(
    storeOptions(new Command("sync"))
      .description("discover the streams, then sync every subscribed one, in one connector process")
      .argument("<connector>")
      .argument("<config-path>")
      .option(
        "--earliest-data-cutoff <iso>",
        "for every stream; default: each stream's last successful sync, else --lookback-days ago",
      )
      .action((target: string, configPath: string, flags: StoreFlags & { earliestDataCutoff?: string }) =>
        syncIntoStore(
          context,
          target,
          configPath,
          { verb: "sync", earliestDataCutoff: parseCutoff(flags.earliestDataCutoff) },
          flags,
        ),
      ),
  );
  command.addCommand(
    new Command("sdk")
      .description(
        "print the folder of the codeclimate-connector-sdk package Sluice provides, to build and test connectors against",
      )
      .addHelpText(
        "after",
        `
No package named codeclimate-connector-sdk is published on the npm registry; this
one is Sluice's SDK as CommonJS, with the test helpers (lib/TestHelpers) and
declarations TypeScript 3.8 reads. In a connector's folder:

Examples (in a connector's folder):
  sluice codeclimate sdk                    # prints the folder
  npm install "$(sluice codeclimate sdk)"   # not run: a link to it, "file:/…/codeclimate-connector-sdk"
  npm pack "$(sluice codeclimate sdk)"      # not run: then npm install ./codeclimate-connector-sdk-0.0.2.tgz`,
      )
      .action(() => {
        process.stdout.write(`${sdkPackageFolder()}\n`);
      }),
  );
  for (const sub of command.commands) sub.exitOverride().showHelpAfterError();
  return command;
}

/**
 * The `codeclimate-connector` command, compatible with the upstream SDK's:
 * `verify-configuration <slug> <config-path>`, `discover-streams <slug>
 * <config-path>`, `sync-stream <slug> <config-path> <stream> <earliest-data-cutoff>`,
 * all positional, `-v/--verbose`. Output is upstream's (records and state
 * printed on stdout); the connector runs under Sluice's limits. Nothing is
 * stored: `sluice codeclimate <verb>` does that.
 */
import { Command, CommanderError } from "commander";
import { createLogger } from "../logging.js";
import { handleInterrupts } from "../process/index.js";
import {
  addLimitOptions,
  driverFor,
  findConnector,
  type LimitFlags,
  parseCutoff,
  parseStreamArgument,
  readConfigFile,
} from "./codeclimate-options.js";
import { reportError } from "./context.js";
import { reapAndRecord } from "./leftovers.js";

const VERBS = ["verify-configuration", "discover-streams", "sync-stream"];

const GENERAL_HELP = `Code Climate Connector CLI (Sluice's implementation)

Usage: codeclimate-connector COMMAND ...

Available commands:
  help                                                                   Show this message
  verify-configuration <connector> <config-path>                         Verify a connector's configuration
  discover-streams <connector> <config-path>                             Discover streams available for a connector
  sync-stream <connector> <config-path> <stream> <earliest-data-cutoff>  Run a sync-stream process for a connector

Run \`codeclimate-connector COMMAND --help\` for command-specific help.

Globally recognized flags:
  -v, --verbose  More verbose logging
`;

export async function main(argv: string[]): Promise<number> {
  // As upstream: anything but a known verb first (help, nothing, a flag, a typo) prints the help and succeeds.
  if (!VERBS.includes(argv[2] ?? "")) {
    process.stdout.write(GENERAL_HELP);
    return 0;
  }
  const logger = createLogger({ level: "warn", format: "human" });
  // As in `sluice`: Ctrl-C stops the connector's process too, and what a crashed run left is reaped.
  handleInterrupts((message) => logger.warn(message));
  await reapAndRecord(logger);
  const program = new Command("codeclimate-connector")
    .description(
      "Code Climate Connector CLI (Sluice's implementation): run a connector's verbs and print what it produces",
    )
    .showHelpAfterError()
    .exitOverride();
  const verb = (name: string, description: string) =>
    addLimitOptions(new Command(name))
      .description(description)
      .argument(
        "<connector>",
        "slug: the package codeclimate-connector-<slug>, the package in this folder, a path, or an installed name",
      )
      .argument("<config-path>", "JSON file of the configuration");
  program.addCommand(
    verb("verify-configuration", "runs verifyConfiguration() and prints the result").action(
      async (slug: string, configPath: string, flags: LimitFlags) => {
        const driver = driverFor(findConnector(slug), { verb: "sync" }, flags, logger);
        await driver.runPrinted("verify-configuration", readConfigFile(configPath));
      },
    ),
  );
  program.addCommand(
    verb("discover-streams", "runs discoverStreams() and prints the Stream records").action(
      async (slug: string, configPath: string, flags: LimitFlags) => {
        const driver = driverFor(findConnector(slug), { verb: "discover-streams" }, flags, logger);
        await driver.runPrinted("discover-streams", readConfigFile(configPath));
      },
    ),
  );
  program.addCommand(
    verb("sync-stream", "runs syncStream() for a stream and prints the records")
      .argument("<stream>", "the Stream record as JSON")
      .argument("<earliest-data-cutoff>", "ISO 8601")
      .action(async (slug: string, configPath: string, stream: string, cutoff: string, flags: LimitFlags) => {
        const read = {
          verb: "sync-stream",
          stream: parseStreamArgument(stream),
          earliestDataCutoff: parseCutoff(cutoff),
        } as const;
        await driverFor(findConnector(slug), read, flags, logger).runPrinted("sync-stream", readConfigFile(configPath));
      }),
  );
  // Upstream ignores arguments past the ones a verb reads.
  for (const command of program.commands) command.exitOverride().showHelpAfterError().allowExcessArguments(true);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(error, false);
  }
}

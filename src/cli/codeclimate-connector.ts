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

export async function main(argv: string[]): Promise<number> {
  const logger = createLogger({ level: "warn", format: "human" });
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
  for (const command of program.commands) command.exitOverride().showHelpAfterError();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(error, false);
  }
}

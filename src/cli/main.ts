/**
 * src/cli — the `sluice` command: parses arguments, calls the engine, renders
 * results, progress and errors. No business logic lives here.
 *
 * May import: src/engine, src/registry (installed connectors), src/scaffold
 * (`sluice new`), src/conformance (`sluice test`), src/worker (`sluice worker`), src/process (signals, and
 * reaping what a crashed Sluice left), src/errors.ts, src/logging.ts.
 */
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { handleInterrupts } from "../process/index.js";
import { airbyteCommand } from "./commands/airbyte.js";
import { singerCommand } from "./commands/singer.js";
import { pipelineCommand } from "./commands/pipeline.js";
import { codeclimateCommand } from "./commands/codeclimate.js";
import { connectionsCommand } from "./commands/connections.js";
import { connectorsCommand } from "./commands/connectors.js";
import { newCommand } from "./commands/new.js";
import { testCommand } from "./commands/test.js";
import { checkCommand, discoverCommand, specCommand } from "./commands/inspect.js";
import { serveCommand } from "./commands/serve.js";
import { serverCommand } from "./commands/server.js";
import { syncCommand } from "./commands/sync.js";
import { syncsCommand } from "./commands/syncs.js";
import { workerCommand } from "./commands/worker.js";
import { type CliContext, createContext, type GlobalOptions, reportError } from "./context.js";
import { reapAndRecord } from "./leftovers.js";

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export async function main(argv: string[]): Promise<number> {
  stopWritingWhenReaderLeaves();
  const program = new Command("sluice")
    .description("Move data from any source into a database through connectors written in any language.")
    .version(packageJson.version)
    .option("--json", "machine-readable output: results as JSON on stdout, logs as JSON lines on stderr")
    .option("--log-level <level>", "trace, debug, info, warn or error", "info")
    .showHelpAfterError()
    .exitOverride();
  let context: CliContext | undefined;
  const getContext = () => (context ??= createContext(program.opts<GlobalOptions>()));
  // Before anything can start a connector: Ctrl-C, SIGTERM and SIGHUP stop what Sluice started,
  // and what a crashed Sluice left running is reaped.
  handleInterrupts((message) =>
    context ? context.logger.warn(message) : process.stderr.write(`warning: ${message}\n`),
  );
  program.hook("preAction", () => reapAndRecord(getContext().logger));
  for (const command of [
    syncCommand,
    specCommand,
    checkCommand,
    discoverCommand,
    syncsCommand,
    connectorsCommand,
    connectionsCommand,
    serveCommand,
    serverCommand,
    codeclimateCommand,
    airbyteCommand,
    singerCommand,
    pipelineCommand,
    newCommand,
    testCommand,
    workerCommand,
  ]) {
    program.addCommand(command(getContext).exitOverride().showHelpAfterError());
  }
  hintAfterErrors(program, []);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(error, program.opts<GlobalOptions>().json === true);
  }
}

/**
 * `sluice syncs | head` closes the pipe before Sluice has written everything:
 * the rest is dropped instead of ending in an unhandled EPIPE stack trace, and
 * the command itself finishes (a sync still commits and records its result).
 */
function stopWritingWhenReaderLeaves(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }
}

/**
 * A mistyped flag or argument gets the error and one line saying where help is,
 * not the whole help (which would scroll the error away).
 */
function hintAfterErrors(command: Command, path: string[]): void {
  command.showHelpAfterError(`(${["sluice", ...path, "--help"].join(" ")} for usage and examples)`);
  for (const sub of command.commands) hintAfterErrors(sub, [...path, sub.name()]);
}

/**
 * The options that say which connector to run and with what, shared by sync,
 * spec, check and discover; and opening the connector from them: an
 * installed connector by name (src/registry), or any shell command.
 */
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { openConnector, PROTOCOLS, type ProtocolChoice, type SourceDriver } from "../engine/index.js";
import { UsageError } from "../errors.js";
import type { Logger } from "../logging.js";
import { Registry } from "../registry/index.js";

export interface ConnectorFlags {
  /** An installed connector's name: the positional argument. */
  connector?: string;
  command?: string;
  options?: string;
  optionsFile?: string;
  protocol: string;
  name?: string;
  cwd?: string;
  startTimeout: string;
  autoMtls?: boolean;
}

export function addConnectorOptions(command: Command, withOptions = true): Command {
  // The [connector] operand is read in a hook rather than declared with
  // .argument(), so every command's action keeps its (flags) signature.
  command
    .usage("[connector] [options]")
    .allowExcessArguments(true)
    .hook("preAction", (self) => {
      if (self.args.length > 1) throw new UsageError(`one connector at a time (got ${self.args.join(", ")})`);
      self.setOptionValue("connector", self.args[0]);
    })
    .addHelpText(
      "after",
      "\n[connector]: an installed connector's name (see `sluice connectors list`); or say how to start one with --command.\n",
    )
    .option("-c, --command <command>", "shell command that starts the connector (a go-plugin executable)")
    .option("--protocol <protocol>", `protocol the connector speaks: ${PROTOCOLS.join(", ")}`, "auto")
    .option("--name <name>", "connector instance name (names tables, state and log entries)")
    .option("--cwd <dir>", "working directory for the connector's command")
    .option("--start-timeout <seconds>", "how long the connector may take to start", "60")
    .option("--auto-mtls", "go-plugin AutoMTLS: talk to the connector over mutually authenticated TLS");
  if (withOptions) {
    command
      .option("-o, --options <raw>", "options passed to the connector as a raw string (usually JSON)")
      .option("--options-file <path>", "read the options string from a file");
  }
  return command;
}

export function readOptions(flags: ConnectorFlags): string {
  if (flags.options !== undefined && flags.optionsFile !== undefined) {
    throw new UsageError("give either --options or --options-file, not both");
  }
  if (flags.optionsFile === undefined) return flags.options ?? "";
  try {
    return readFileSync(flags.optionsFile, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --options-file ${flags.optionsFile}: ${(error as Error).message}`);
  }
}

/** "examples/python/gitlog/main.py" → "gitlog"; "./bin/files" → "files". */
export function nameFromCommand(command: string): string {
  const tokens = command.trim().split(/\s+/);
  const pathLike = [...tokens].reverse().find((t) => t.includes("/") || extname(t) !== "") ?? tokens[0] ?? "connector";
  const stem = basename(pathLike, extname(pathLike));
  const name = ["main", "index", "connector", "plugin"].includes(stem) ? basename(dirname(pathLike)) : stem;
  return name || "connector";
}

/** An installed connector's command and source folder (src/registry). */
export function lookupInstalled(name: string): { name: string; command: string; cwd?: string } {
  const registry = Registry.open();
  try {
    return registry.runnable(name);
  } finally {
    registry.close();
  }
}

/** An installed connector's command, folder and name, unless flags say otherwise. */
export function resolveInstalled<T extends Pick<ConnectorFlags, "connector" | "command" | "cwd" | "name">>(
  flags: T,
): T {
  if (flags.connector === undefined) return flags;
  if (flags.command !== undefined)
    throw new UsageError(`give an installed connector's name ("${flags.connector}") or --command, not both`);
  const installed = lookupInstalled(flags.connector);
  return { ...flags, command: installed.command, cwd: flags.cwd ?? installed.cwd, name: flags.name ?? installed.name };
}

export async function openFromFlags(
  given: ConnectorFlags,
  logger: Logger,
): Promise<{ driver: SourceDriver; name: string }> {
  const flags = resolveInstalled(given);
  if (!flags.command) {
    throw new UsageError(
      'say which connector to run: --command "<shell command>", or an installed connector\'s name (see --help)',
    );
  }
  if (!(PROTOCOLS as readonly string[]).includes(flags.protocol)) {
    throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(", ")} (got "${flags.protocol}")`);
  }
  const seconds = Number(flags.startTimeout);
  if (!(seconds > 0))
    throw new UsageError(`--start-timeout must be a positive number of seconds (got "${flags.startTimeout}")`);
  const name = flags.name ?? nameFromCommand(flags.command);
  const driver = await openConnector({
    name,
    command: { shell: flags.command },
    protocol: flags.protocol as ProtocolChoice,
    cwd: flags.cwd,
    logger,
    startTimeoutMs: seconds * 1000,
    autoMTLS: flags.autoMtls,
  });
  return { driver, name };
}

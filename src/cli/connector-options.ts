/**
 * The options that say which connector to run and with what, shared by sync,
 * spec, check and discover; and opening the connector from them: an
 * installed connector by name (src/registry), or any shell command.
 */
import type { Command } from "commander";
import { readFileSync, statSync } from "node:fs";
import {
  type DriverSettings,
  lookupInstalled,
  type OpenedSource,
  openSource,
  SOURCE_PROTOCOLS,
  type SourceProtocolChoice,
  type SourceReference,
} from "../engine/index.js";
import { messageOf, UsageError } from "../errors.js";
import type { Logger } from "../logging.js";

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
    .option("-c, --command <command>", "shell command that starts the connector (for Code Climate: a slug or a path)")
    .option(
      "--protocol <protocol>",
      `protocol the connector speaks: ${SOURCE_PROTOCOLS.join(", ")} (auto: recorded at install, else detected)`,
      "auto",
    )
    .option("--name <name>", "connector instance name (names tables, state and log entries)")
    .option("--cwd <dir>", "working directory for the connector's command")
    .option("--start-timeout <seconds>", "how long the connector may take to start", "60")
    .option("--auto-mtls", "go-plugin AutoMTLS: talk to the connector over mutually authenticated TLS");
  if (withOptions) {
    command
      .option("-o, --options <raw>", "options passed to the connector as a raw string (usually JSON)")
      .option(
        "--options-file <path>",
        "read the options string from a file (or from env SLUICE_OPTIONS): keeps secrets out of argv",
      );
  }
  return command;
}

/** A file given for a secret-carrying flag, with an error that names the flag and never the content. */
export function readSecretFile(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${flag} ${path}: ${messageOf(error)}`);
  }
}

/** The options string: --options, --options-file, or the environment variable SLUICE_OPTIONS (argv is public, these are not). */
export function readOptions(flags: Pick<ConnectorFlags, "options" | "optionsFile">): string {
  if (flags.options !== undefined && flags.optionsFile !== undefined) {
    throw new UsageError("give either --options or --options-file, not both");
  }
  if (flags.optionsFile !== undefined) return readSecretFile(flags.optionsFile, "--options-file");
  return flags.options !== undefined ? optionsString(flags.options) : (process.env.SLUICE_OPTIONS ?? "");
}

/**
 * The --options string; a value that is a file's name and no JSON is a mix-up
 * with --options-file, said at once instead of as "not valid JSON" later.
 */
function optionsString(options: string): string {
  const value = options.trim();
  if (value === "" || /^[[{"]/.test(value) || !isFile(value)) return options;
  throw new UsageError(
    `--options takes the options themselves, and "${value}" is a file: to read the options from it, use --options-file ${value}`,
  );
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
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

/** The connector the flags name, opened with the driver for its protocol (recorded at install, given, or detected). */
export async function openFromFlags(
  flags: ConnectorFlags,
  logger: Logger,
  settings: Omit<DriverSettings, "logger" | "startTimeoutMs" | "autoMTLS"> = {},
): Promise<OpenedSource> {
  if (flags.connector !== undefined && flags.command !== undefined)
    throw new UsageError(`give an installed connector's name ("${flags.connector}") or --command, not both`);
  if (flags.connector === undefined && !flags.command) {
    throw new UsageError(
      'say which connector to run: --command "<shell command>", or an installed connector\'s name (see --help)',
    );
  }
  if (!(SOURCE_PROTOCOLS as readonly string[]).includes(flags.protocol)) {
    throw new UsageError(`--protocol must be one of ${SOURCE_PROTOCOLS.join(", ")} (got "${flags.protocol}")`);
  }
  const seconds = Number(flags.startTimeout);
  if (!(seconds > 0))
    throw new UsageError(`--start-timeout must be a positive number of seconds (got "${flags.startTimeout}")`);
  const protocol = flags.protocol as SourceProtocolChoice;
  const reference: SourceReference =
    flags.connector !== undefined
      ? { installed: flags.connector, protocol, cwd: flags.cwd, name: flags.name }
      : { command: flags.command!, protocol, cwd: flags.cwd, name: flags.name };
  const opened = await openSource(reference, {
    ...settings,
    logger,
    startTimeoutMs: seconds * 1000,
    autoMTLS: flags.autoMtls,
  });
  return opened;
}

/**
 * Opening any connector as a source: the one way the CLI, the server, the
 * worker and the test kit do it. A reference names an installed connector (its
 * command, folder and the protocol recorded at install come from the
 * registry) or gives a command and, optionally, its protocol; "auto" detects
 * it (see src/drivers/open.ts).
 */
import { basename, dirname, extname, resolve } from "node:path";
import { type DriverSettings, openDriver, UndetectedProtocolError } from "../drivers/open.js";
import type { ConnectorProtocol, SourceProtocolChoice } from "../drivers/protocols.js";
import type { SourceDriver } from "../drivers/types.js";
import { PluginError } from "../plugin/errors.js";
import { Registry, type Runnable } from "../registry/index.js";

export type SourceReference =
  /** An installed connector by name; `protocol`, `cwd` and `name` override what was recorded at install. */
  | { installed: string; protocol?: SourceProtocolChoice; cwd?: string; name?: string }
  /** A shell command (for Code Climate, a slug or a path), run in `cwd`; `name` defaults to one made from the command. */
  | { command: string; protocol?: SourceProtocolChoice; cwd?: string; name?: string };

export interface OpenSourceOptions extends DriverSettings {
  /** The installation home to look installed names up in (default: $SLUICE_HOME). */
  home?: string;
}

export interface OpenedSource {
  /** The connector instance's name: names its tables, state and log entries. */
  name: string;
  protocol: ConnectorProtocol;
  driver: SourceDriver;
}

/** Go-plugin failures that only say the program is no go-plugin connector of ours. */
const NOT_OURS = new Set(["PLUGIN_EXITED_BEFORE_HANDSHAKE", "PLUGIN_WRONG_MAGIC_COOKIE", "PLUGIN_MALFORMED_HANDSHAKE"]);

export async function openSource(reference: SourceReference, options: OpenSourceOptions = {}): Promise<OpenedSource> {
  if ("command" in reference) {
    const name = reference.name ?? nameFromCommand(reference.command, reference.cwd);
    const target = { name, command: reference.command, cwd: reference.cwd };
    return { name, ...(await openDriver(target, reference.protocol ?? "auto", options)) };
  }
  const installed = lookupInstalled(reference.installed, options.home);
  const target = { ...installed, cwd: reference.cwd ?? installed.cwd, name: reference.name ?? installed.name };
  const protocol = reference.protocol && reference.protocol !== "auto" ? reference.protocol : installed.protocol;
  try {
    return { name: target.name, ...(await openDriver(target, protocol ?? "auto", options)) };
  } catch (error) {
    if (!protocol && error instanceof PluginError && NOT_OURS.has(error.code))
      throw new UndetectedProtocolError(installed.name, error);
    throw error;
  }
}

/** An installed connector's command, folder and recorded protocol. */
export function lookupInstalled(name: string, home?: string): Runnable {
  const registry = Registry.open(home);
  try {
    return registry.runnable(name);
  } finally {
    registry.close();
  }
}

/**
 * "examples/python/gitlog/main.py" → "gitlog"; "./bin/files" → "files"; "node main.js" run in (`cwd`, default
 * the current folder) .../packages → "packages": the folder is resolved, or the name would be ".".
 */
export function nameFromCommand(command: string, cwd = "."): string {
  const tokens = command.trim().split(/\s+/);
  const pathLike = [...tokens].reverse().find((t) => t.includes("/") || extname(t) !== "") ?? tokens[0] ?? "connector";
  const stem = basename(pathLike, extname(pathLike));
  const name = ["main", "index", "connector", "plugin"].includes(stem)
    ? basename(dirname(resolve(cwd, pathLike)))
    : stem;
  return name || "connector";
}

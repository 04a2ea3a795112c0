/**
 * Naming a Conduit connector on the command line: `builtin:<module>` (a
 * TypeScript connector written with Sluice's Conduit SDK, run in-process),
 * an installed connector's name, or a shell command / path to an executable
 * (a standalone connector, run as its own process).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  BuiltinConnector,
  type ConduitConnector,
  type ConduitConnectorHandle,
  type ConnectorUtilities,
  StandaloneConnector,
  lookupInstalled,
  nameFromCommand,
} from "../engine/index.js";
import { SluiceError, UsageError } from "../errors.js";
import type { Logger } from "../logging.js";
import { NotInstalledError, sluiceHome } from "../registry/index.js";

export const BUILTIN_PREFIX = "builtin:";

/** An installed connector's command and folder, or undefined when `target` is not an installed name. */
export function installedOrUndefined(target: string): { name: string; command: string; cwd?: string } | undefined {
  if (/[\s/]/.test(target) || !existsSync(sluiceHome())) return undefined;
  try {
    return lookupInstalled(target);
  } catch (error) {
    if (error instanceof NotInstalledError) return undefined;
    throw error;
  }
}

async function loadBuiltin(module: string): Promise<BuiltinConnector> {
  const path = resolve(module);
  if (!existsSync(path)) throw new SluiceError("CONNECTOR_NOT_FOUND", `no built-in connector module at ${path}`);
  const loaded = (await import(pathToFileURL(path).href)) as {
    connector?: ConduitConnector;
    default?: ConduitConnector;
  };
  const connector = loaded.connector ?? loaded.default;
  if (!connector?.specification)
    throw new SluiceError(
      "CONNECTOR_NOT_FOUND",
      `${path} exports no Conduit connector (export \`connector\` or a default with a specification)`,
    );
  return new BuiltinConnector(connector.specification.name, connector);
}

export interface OpenConduitOptions {
  utilities: ConnectorUtilities;
  logger: Logger;
  /** CONDUIT_CONNECTOR_ID, e.g. "<pipeline>:source". */
  connectorId: string;
  logLevel?: string;
}

export async function openConduitConnector(
  target: string,
  options: OpenConduitOptions,
): Promise<ConduitConnectorHandle> {
  if (target.startsWith(BUILTIN_PREFIX)) return loadBuiltin(target.slice(BUILTIN_PREFIX.length));
  const installed = installedOrUndefined(target);
  return StandaloneConnector.start({
    name: installed?.name ?? nameFromCommand(target),
    command: { shell: installed?.command ?? target },
    cwd: installed?.cwd,
    connectorId: options.connectorId,
    utilities: options.utilities,
    logger: options.logger,
    logLevel: options.logLevel,
  });
}

/** `key=value` pairs (repeatable flags) as a config map; every bad pair is named. */
export function parsePairs(pairs: string[], flag: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} takes key=value, got "${pair}"`);
    config[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return config;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

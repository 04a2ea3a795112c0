/**
 * Naming a Conduit connector on the command line: `builtin:<module>` (a
 * TypeScript connector written with Sluice's Conduit SDK, run in-process),
 * an installed connector's name, or a shell command / path to an executable
 * (a standalone connector, run as its own process).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BuiltinConnector } from "../engine/drivers.js";
import {
  type ConduitConnector,
  type ConduitConnectorHandle,
  type ConnectorUtilities,
  lookupInstalled,
  nameFromCommand,
} from "../engine/index.js";
import { messageOf, SluiceError, UsageError } from "../errors.js";
import { parseJsonQuietly } from "../json.js";
import type { Logger } from "../logging.js";
import { NotInstalledError, type Runnable, sluiceHome } from "../registry/index.js";
import { readSecretFile } from "./connector-options.js";

export const BUILTIN_PREFIX = "builtin:";

/** An installed connector's command, folder and recorded protocol, or undefined when `target` is not an installed name. */
export function installedOrUndefined(target: string): Runnable | undefined {
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
  const { BuiltinConnector } = await import("../engine/drivers.js");
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
  const { StandaloneConnector } = await import("../engine/drivers.js");
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

/** `key=value` pairs (repeatable flags) as a config map; a bad pair is named by its place (its text may be a secret). */
export function parsePairs(pairs: string[], flag: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [index, pair] of pairs.entries()) {
    const at = pair.indexOf("=");
    if (at <= 0)
      throw new UsageError(
        `${flag} takes key=value; value #${index + 1} has ${at === 0 ? "no key before" : "no"} "=" (not shown: it may be a secret)`,
      );
    config[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return config;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Where one end's config comes from: the environment, a file, and pairs on the command line. */
export interface ConfigSources {
  /** The repeatable key=value flag, e.g. "--from-config", and its values. */
  flag: string;
  pairs: string[];
  /** The file flag's value (e.g. --from-config-file): a JSON object. */
  file?: string;
  /** The environment variable that may hold a JSON object, e.g. SLUICE_FROM_CONFIG. */
  env: string;
}

/**
 * A Conduit config from, in rising precedence, the environment variable, the
 * file and the key=value flags: files and the environment keep passwords
 * out of argv, which every user sees in `ps`. Conduit configs are flat maps
 * of strings, so nested objects become dotted keys (`{"format": {"type":
 * "raw"}}` is `format.type=raw`) and other values their text.
 */
export function readConfig(sources: ConfigSources): Record<string, string> {
  const fromEnv = process.env[sources.env];
  return {
    ...(fromEnv ? flatConfig(parseConfigObject(fromEnv, `the environment variable ${sources.env}`)) : {}),
    ...(sources.file === undefined
      ? {}
      : flatConfig(
          parseConfigObject(
            readSecretFile(sources.file, `${sources.flag}-file`),
            `${sources.flag}-file ${sources.file}`,
          ),
        )),
    ...parsePairs(sources.pairs, sources.flag),
  };
}

function parseConfigObject(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonQuietly(text);
  } catch (error) {
    throw new UsageError(`${where} is ${messageOf(error)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError(`${where} must hold a JSON object of config keys and values`);
  return value as Record<string, unknown>;
}

function flatConfig(object: Record<string, unknown>, prefix = ""): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      Object.assign(flat, flatConfig(value as Record<string, unknown>, `${prefix}${key}.`));
    else flat[`${prefix}${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return flat;
}

/**
 * What `sluice codeclimate` and the `codeclimate-connector` command share:
 * finding the connector (an installed name, a slug, a path), reading the
 * config file, the limits and the driver settings from flags.
 */
import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import {
  CodeClimateDriver,
  type CodeClimateRead,
  type CodeClimateSettings,
  DEFAULT_LIMITS,
  type LocatedConnector,
  locateConnector,
  parseConfiguration,
  type ResourceLimits,
} from "../engine/index.js";
import { UsageError } from "../errors.js";
import type { Logger } from "../logging.js";
import { NotInstalledError, Registry, sluiceHome } from "../registry/index.js";
import { positiveNumber } from "./numbers.js";

export interface LimitFlags {
  memoryLimit: string;
  timeLimit: string;
  upstreamValidation?: boolean;
  verbose?: boolean;
}

export function addLimitOptions(command: Command): Command {
  return command
    .option(
      "--memory-limit <MiB>",
      "kill the connector when its processes' combined RSS exceeds this",
      String(DEFAULT_LIMITS.memoryBytes / 1024 ** 2),
    )
    .option(
      "--time-limit <minutes>",
      "kill the connector when it runs longer than this",
      String(DEFAULT_LIMITS.timeMs / 60_000),
    )
    .option(
      "--upstream-validation",
      "reject the record types upstream's validator cannot find (PullRequestComment, PullRequestEvent, TestResultTotals)",
    )
    .option("-v, --verbose", "the connector's debug logs too");
}

export function limitsFrom(flags: LimitFlags): ResourceLimits {
  return {
    memoryBytes: positiveNumber(flags.memoryLimit, "--memory-limit") * 1024 ** 2,
    timeMs: positiveNumber(flags.timeLimit, "--time-limit") * 60_000,
  };
}

/** An installed connector's folder when `target` names one, else a slug or path as upstream finds it. */
export function findConnector(target: string): LocatedConnector {
  if (!target)
    throw new UsageError(
      "say which connector: a slug (codeclimate-connector-<slug> in node_modules), a path, or an installed name",
    );
  if (existsSync(sluiceHome()) && !target.includes("/")) {
    const registry = Registry.open();
    try {
      const installed = registry.runnable(target);
      if (installed.cwd) return { ...locateConnector(installed.cwd), slug: target };
    } catch (error) {
      if (!(error instanceof NotInstalledError)) throw error;
    } finally {
      registry.close();
    }
  }
  return locateConnector(target);
}

export function readConfigFile(path: string): string {
  if (!path) throw new UsageError("say where the connector's configuration is: a JSON file (<config-path>)");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the configuration file ${path}: ${(error as Error).message}`);
  }
  parseConfiguration(text, `the configuration file ${path}`);
  return text;
}

/** A Stream record given as JSON text on the command line. */
export function parseStreamArgument(text: string): NonNullable<CodeClimateRead["stream"]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `<stream> must be a Stream record as JSON, e.g. '{"_type":"Stream","id":"1","self":"https://…","name":"…"}': ${(error as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || (value as { _type?: unknown })._type !== "Stream") {
    throw new UsageError(`<stream> must be a Stream record (an object with "_type": "Stream"), got ${text}`);
  }
  return value as NonNullable<CodeClimateRead["stream"]>;
}

export function parseCutoff(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.valueOf()))
    throw new UsageError(
      `"${text}" cannot be parsed as a timestamp (<earliest-data-cutoff> is ISO 8601, e.g. 2020-01-01)`,
    );
  return date.toISOString();
}

export function driverFor(
  connector: LocatedConnector,
  read: CodeClimateRead,
  flags: LimitFlags,
  logger: Logger,
  settings: Pick<CodeClimateSettings, "lookbackDays" | "skipVerify"> = {},
): CodeClimateDriver {
  return new CodeClimateDriver(connector, read, {
    limits: limitsFrom(flags),
    logger,
    verbose: flags.verbose,
    upstreamCompat: flags.upstreamValidation,
    ...settings,
  });
}

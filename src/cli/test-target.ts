/**
 * What `sluice test` tests: the connector named on the command line (an
 * installed name, a command, or a Code Climate package), opened the way every
 * command opens one (openSource: the protocol given, recorded at install, or
 * detected), and how to start a fresh instance of it. A Conduit connector is
 * tested through its endpoints (acks, positions, its destination), so it is
 * started as such once detected.
 */
import type { UnderTest } from "../conformance/index.js";
import {
  type ConduitConfig,
  type ConnectorProtocol,
  locateConnector,
  nameFromCommand,
  openSource,
  SOURCE_PROTOCOLS,
  type SourceProtocolChoice,
  type SourceReference,
} from "../engine/index.js";
import { UsageError } from "../errors.js";
import type { Logger } from "../logging.js";
import { installedOrUndefined } from "./conduit-options.js";
import { readOptions } from "./connector-options.js";

export const TEST_PROTOCOLS = SOURCE_PROTOCOLS;

export interface TestFlags {
  command?: string;
  cwd?: string;
  protocol: string;
  options?: string;
  optionsFile?: string;
  invalidOptions?: string;
  config: string[];
  destinationConfig: string[];
  startTimeout: string;
  maxRecords: string;
  lookbackDays: string;
  junit?: string;
}

/**
 * The reference openSource takes: an installed connector, a command, or — a
 * positional argument naming nothing installed — a Code Climate package
 * (folder, module or slug).
 */
function referenceOf(target: string | undefined, flags: TestFlags, protocol: SourceProtocolChoice): SourceReference {
  if (target !== undefined && flags.command !== undefined)
    throw new UsageError(`give an installed connector's name ("${target}") or --command, not both`);
  if (flags.command !== undefined) return { command: flags.command, protocol, cwd: flags.cwd };
  if (target === undefined)
    throw new UsageError(
      'say which connector to test: an installed connector\'s name, --command "<shell command>", or a Code Climate package',
    );
  if (installedOrUndefined(target)) return { installed: target, protocol, cwd: flags.cwd };
  if (protocol !== "auto" && protocol !== "codeclimate")
    throw new UsageError(
      `no connector "${target}" is installed: give --command to test a ${protocol} connector that is not installed`,
    );
  return { command: target, protocol: "codeclimate", cwd: flags.cwd, name: locateConnector(target).slug };
}

/** The command and folder behind a reference, for starting a Conduit connector through its endpoints. */
function launchOf(reference: SourceReference): { command: string; cwd?: string } {
  if ("command" in reference) return reference;
  const installed = installedOrUndefined(reference.installed)!;
  return { command: installed.command, cwd: reference.cwd ?? installed.cwd };
}

/**
 * The protocol a connector speaks (given, recorded at install, else detected
 * by opening it as a sync would) and the name it goes by.
 */
async function identify(
  reference: SourceReference,
  settings: { logger: Logger; startTimeoutMs: number },
): Promise<{ name: string; protocol: ConnectorProtocol }> {
  const installed = "installed" in reference ? installedOrUndefined(reference.installed) : undefined;
  const known = reference.protocol && reference.protocol !== "auto" ? reference.protocol : installed?.protocol;
  if (known)
    return { name: reference.name ?? installed?.name ?? nameFromCommand(launchOf(reference).command), protocol: known };
  const opened = await openSource(reference, settings);
  await opened.driver.close();
  return opened;
}

export async function underTest(
  target: string | undefined,
  flags: TestFlags,
  conduit: { sourceConfig: ConduitConfig; destinationConfig: ConduitConfig },
  logger: Logger,
): Promise<UnderTest> {
  if (!(TEST_PROTOCOLS as readonly string[]).includes(flags.protocol))
    throw new UsageError(`--protocol must be one of ${TEST_PROTOCOLS.join(", ")} (got "${flags.protocol}")`);
  const reference = referenceOf(target, flags, flags.protocol as SourceProtocolChoice);
  const options = readOptions(flags);
  const startTimeoutMs = Number(flags.startTimeout) * 1000;
  const lookbackDays = Number(flags.lookbackDays);

  const { name, protocol } = await identify(reference, { logger, startTimeoutMs });
  if (protocol === "conduit") {
    const launch = launchOf(reference);
    return {
      kind: "conduit",
      name: name,
      ...conduit,
      open: async (log) => {
        const { ConnectorUtilities, StandaloneConnector } = await import("../engine/drivers.js");
        const utilities = await ConnectorUtilities.start();
        try {
          const handle = await StandaloneConnector.start({
            name: name,
            command: { shell: launch.command },
            cwd: launch.cwd,
            connectorId: `sluice-test:${name}`,
            utilities,
            logger: log,
            startTimeoutMs,
          });
          const close = handle.close.bind(handle);
          handle.close = async () => {
            await close();
            await utilities.close();
          };
          return handle;
        } catch (error) {
          await utilities.close();
          throw error;
        }
      },
    };
  }
  const pinned = { ...reference, protocol, name };
  return {
    kind: "source",
    name: name,
    protocol,
    options: options || (protocol === "c1" ? "" : "{}"),
    invalidOptions: flags.invalidOptions,
    open: async (log, purpose) => {
      const verb = purpose === "discover" ? "discover-streams" : "sync";
      const fresh = await openSource(pinned, {
        logger: log,
        startTimeoutMs,
        codeclimate: { read: { verb }, settings: { lookbackDays } },
      });
      return fresh.driver;
    },
  };
}

/**
 * Starting a connector from a command and picking the driver for the protocol
 * it speaks: given, or detected ("auto"). Detection tries the cheapest answer
 * first: a Code Climate package is known by its package.json; a go-plugin
 * connector is started once with every cookie Sluice knows (and the
 * environment Conduit's SDK needs), then the native Spec call answers for
 * sluice, Conduit's Specify for conduit, and a plugin implementing neither is
 * c1-core; a program that exits without a handshake, or prints JSON where the
 * handshake line goes, is asked for Airbyte's `spec`, then for a Singer
 * `--discover`. When nothing answers, the go-plugin error stands: it says what
 * the program did.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { codeOf, messageOf, SluiceError } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import type { PluginClient } from "../plugin/client.js";
import { isGrpcStatus, PluginError } from "../plugin/errors.js";
import { HandshakeLineError } from "../plugin/handshake.js";
import type { LaunchCommand } from "../process/index.js";
import { C1_HANDSHAKE, CONDUIT_HANDSHAKE, SLUICE_HANDSHAKE } from "../protocol/handshakes.js";
import type { AirbyteSettings } from "./airbyte/index.js";
import type { CodeClimateRead, CodeClimateSettings } from "./codeclimate/index.js";
import type { ConnectorUtilities } from "./conduit/index.js";
import { CONNECTOR_PROTOCOLS, type ConnectorProtocol, type SourceProtocolChoice } from "./protocols.js";
import { parseCatalog } from "./singer/catalog.js";
import type { SingerSettings } from "./singer/index.js";
import { PrivateFiles } from "./subprocess/files.js";
import { CommandRunner } from "./subprocess/run.js";
import type { SourceDriver } from "./types.js";

// Each protocol's driver (and what it brings: gRPC, the generated protobuf code, Avro…) loads when a
// connector speaking it opens, so a command loads only what its connector needs.
const pluginDrivers = async () => {
  const [{ PluginClient }, { NativeDriver }, { C1Driver }] = await Promise.all([
    import("../plugin/client.js"),
    import("./native/driver.js"),
    import("./c1/driver.js"),
  ]);
  return { PluginClient, NativeDriver, C1Driver };
};

/** gRPC's UNIMPLEMENTED: what a plugin answers for a service it does not serve. */
const UNIMPLEMENTED = 12;

/** The go-plugin protocols, for commands that only run those (Qlik live sources). */
export const PROTOCOLS = ["auto", "sluice", "c1"] as const;
export type ProtocolChoice = (typeof PROTOCOLS)[number];

export interface OpenConnectorOptions {
  name: string;
  command: LaunchCommand;
  protocol: ProtocolChoice;
  cwd?: string;
  env?: Record<string, string>;
  logger?: Logger;
  startTimeoutMs?: number;
  /** go-plugin AutoMTLS between Sluice and the connector. */
  autoMTLS?: boolean;
}

/** A go-plugin connector speaking sluice.v1 or c1-core ("auto": whichever it answers). */
export async function openConnector(options: OpenConnectorOptions): Promise<SourceDriver> {
  const handshakes =
    options.protocol === "sluice"
      ? [SLUICE_HANDSHAKE]
      : options.protocol === "c1"
        ? [C1_HANDSHAKE]
        : [SLUICE_HANDSHAKE, C1_HANDSHAKE];
  const { PluginClient, NativeDriver, C1Driver } = await pluginDrivers();
  const plugin = await PluginClient.start({ ...options, handshakes });
  if (options.protocol === "c1") return new C1Driver(plugin);
  const native = new NativeDriver(plugin);
  if (options.protocol === "sluice") return native;
  try {
    await native.spec();
    return native;
  } catch (error) {
    if (isGrpcStatus(error, UNIMPLEMENTED)) return new C1Driver(plugin);
    await plugin.close();
    throw error;
  }
}

/** A connector to start: a shell command run in a folder, and the name it goes by. */
export interface LaunchTarget {
  name: string;
  /** The shell command; for a Code Climate connector, a slug or a path when there is no folder. */
  command: string;
  /** Its folder: where the command runs (an installed connector's release folder). */
  cwd?: string;
}

/** What each kind of driver may be given besides its command. */
export interface DriverSettings {
  logger?: Logger;
  startTimeoutMs?: number;
  autoMTLS?: boolean;
  airbyte?: Omit<AirbyteSettings, "logger">;
  singer?: Omit<SingerSettings, "logger">;
  codeclimate?: { read?: CodeClimateRead; settings?: Omit<CodeClimateSettings, "logger"> };
  /**
   * `utilities`: a pipeline's Conduit utilities (schema registry), shared with
   * its destination, which reads the schemas this source registers; else the
   * source gets its own.
   */
  conduit?: { connectorId?: string; logLevel?: string; utilities?: ConnectorUtilities };
}

/** Opens `target` with the driver for `protocol`, detecting it when "auto". */
export async function openDriver(
  target: LaunchTarget,
  protocol: SourceProtocolChoice,
  settings: DriverSettings = {},
): Promise<{ driver: SourceDriver; protocol: ConnectorProtocol }> {
  if (protocol !== "auto") return { driver: await openAs(target, protocol, settings), protocol };
  if (isCodeClimatePackage(target.cwd))
    return { driver: await openAs(target, "codeclimate", settings), protocol: "codeclimate" };
  try {
    return await openAnyPlugin(target, settings);
  } catch (error) {
    const other = await detectSubprocess(target, error, settings);
    if (!other) throw error;
    return { driver: await openAs(target, other, settings), protocol: other };
  }
}

/** The protocol `target` speaks, or undefined when nothing answers (then it must be declared). */
export async function detectProtocol(
  target: LaunchTarget,
  settings: Pick<DriverSettings, "logger" | "startTimeoutMs"> = {},
): Promise<ConnectorProtocol | undefined> {
  try {
    const { driver, protocol } = await openDriver(target, "auto", settings);
    await driver.close();
    return protocol;
  } catch (error) {
    (settings.logger ?? silentLogger).debug(`no protocol detected for "${target.name}": ${messageOf(error)}`);
    return undefined;
  }
}

/**
 * Starts `target` with every go-plugin cookie Sluice knows (and the
 * environment Conduit's SDK needs), then asks: native Spec answers → sluice;
 * Conduit's Specify answers → conduit; neither → c1-core.
 */
async function openAnyPlugin(
  target: LaunchTarget,
  settings: DriverSettings,
): Promise<{ driver: SourceDriver; protocol: ConnectorProtocol }> {
  const [{ PluginClient, NativeDriver, C1Driver }, conduitModule, { conduitEnvironment }] = await Promise.all([
    pluginDrivers(),
    import("./conduit/index.js"),
    import("./conduit/standalone.js"),
  ]);
  const { ConduitSourceDriver, SchemaDecoder, StandaloneConnector } = conduitModule;
  const { utilities, release } = await utilitiesOf(settings);
  let plugin: PluginClient;
  try {
    plugin = await PluginClient.start({
      ...pluginOptions(target, "auto", settings),
      handshakes: [SLUICE_HANDSHAKE, C1_HANDSHAKE, CONDUIT_HANDSHAKE],
      env: conduitEnvironment(utilities, settings.conduit?.connectorId ?? `${target.name}:source`),
    });
  } catch (error) {
    await release();
    throw error;
  }
  try {
    const native = new NativeDriver(plugin);
    if (await answers(() => native.spec())) {
      await release();
      return { driver: native, protocol: "sluice" };
    }
    const conduit = StandaloneConnector.fromPlugin(target.name, plugin);
    if (await answers(() => conduit.specify())) {
      const driver = new ConduitSourceDriver(conduit, {
        logger: settings.logger,
        schemas: new SchemaDecoder(utilities),
        onClose: release,
      });
      return { driver, protocol: "conduit" };
    }
    await release();
    return { driver: new C1Driver(plugin), protocol: "c1" };
  } catch (error) {
    await plugin.close();
    await release();
    throw error;
  }
}

/** True when the call succeeds, false when the plugin does not implement it; any other failure is thrown. */
async function answers(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    if (isGrpcStatus(error, UNIMPLEMENTED) || isGrpcStatus(cause, UNIMPLEMENTED)) return false;
    throw error;
  }
}

/**
 * After go-plugin's handshake failed: an Airbyte source or a Singer tap exits
 * without one, or prints a JSON message where the handshake line goes.
 */
async function detectSubprocess(
  target: LaunchTarget,
  failure: unknown,
  settings: DriverSettings,
): Promise<ConnectorProtocol | undefined> {
  if (!(failure instanceof PluginError)) return undefined;
  const printedJson = failure.cause instanceof HandshakeLineError && failure.cause.line.startsWith("{");
  if (failure.code !== "PLUGIN_EXITED_BEFORE_HANDSHAKE" && !printedJson) return undefined;
  const logger = (settings.logger ?? silentLogger).child({ connector: target.name });
  if (await answersAirbyteSpec(target, logger)) return "airbyte";
  if (await answersSingerDiscover(target, logger)) return "singer";
  return undefined;
}

/** Runs `work` with a runner for the target, stopping it after `timeoutMs`; false when it throws. */
async function probe(
  target: LaunchTarget,
  logger: Logger,
  work: (runner: CommandRunner) => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<boolean> {
  const runner = new CommandRunner({ command: target.command, cwd: target.cwd, name: target.name }, logger);
  const timer = setTimeout(() => void runner.close(), timeoutMs);
  try {
    return await work(runner);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    await runner.close();
  }
}

function answersAirbyteSpec(target: LaunchTarget, logger: Logger): Promise<boolean> {
  return probe(target, logger, async (runner) => {
    let spec = false;
    await runner.run<{ type: string }>(["spec"], (message) => {
      spec ||= message.type === "SPEC";
    });
    return spec;
  });
}

function answersSingerDiscover(target: LaunchTarget, logger: Logger): Promise<boolean> {
  const files = new PrivateFiles();
  return probe(target, logger, async (runner) => {
    const result = await runner.capture(["--config", files.write("config.json", "{}"), "--discover"]);
    if (result.code !== 0) return false;
    parseCatalog(result.stdout, "the catalog");
    return true;
  }).finally(() => files.remove());
}

/** A folder holding a Code Climate connector package: named codeclimate-connector-*, or built on its SDK. */
export function isCodeClimatePackage(folder: string | undefined): boolean {
  const file = folder && join(folder, "package.json");
  if (!file || !existsSync(file)) return false;
  try {
    const pkg = JSON.parse(readFileSync(file, "utf8")) as {
      name?: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const sdk = "codeclimate-connector-sdk";
    return (
      pkg.name?.startsWith("codeclimate-connector-") === true ||
      [pkg.dependencies, pkg.devDependencies, pkg.peerDependencies].some((deps) => deps?.[sdk] !== undefined)
    );
  } catch {
    return false;
  }
}

function pluginOptions(target: LaunchTarget, protocol: ProtocolChoice, settings: DriverSettings): OpenConnectorOptions {
  return {
    name: target.name,
    command: { shell: target.command },
    protocol,
    cwd: target.cwd,
    logger: settings.logger,
    startTimeoutMs: settings.startTimeoutMs,
    autoMTLS: settings.autoMTLS,
  };
}

async function openAs(
  target: LaunchTarget,
  protocol: ConnectorProtocol,
  settings: DriverSettings,
): Promise<SourceDriver> {
  const logger = settings.logger;
  const source = { command: target.command, cwd: target.cwd, name: target.name };
  switch (protocol) {
    case "sluice":
    case "c1":
      return openConnector(pluginOptions(target, protocol, settings));
    case "airbyte": {
      const { AirbyteDriver } = await import("./airbyte/index.js");
      return new AirbyteDriver(source, { ...settings.airbyte, logger });
    }
    case "singer": {
      const { SingerDriver } = await import("./singer/index.js");
      return new SingerDriver(source, { ...settings.singer, logger });
    }
    case "codeclimate": {
      const { CodeClimateDriver, locateConnector } = await import("./codeclimate/index.js");
      const located = target.cwd
        ? { ...locateConnector(target.cwd), slug: target.name }
        : locateConnector(target.command);
      return new CodeClimateDriver(located, settings.codeclimate?.read, { ...settings.codeclimate?.settings, logger });
    }
    case "conduit":
      return openConduitSource(target, settings);
  }
}

/** The utilities a Conduit source uses, and how to let go of them (closing only those it started). */
async function utilitiesOf(
  settings: DriverSettings,
): Promise<{ utilities: ConnectorUtilities; release(): Promise<void> }> {
  const shared = settings.conduit?.utilities;
  if (shared) return { utilities: shared, release: async () => {} };
  const { ConnectorUtilities } = await import("./conduit/index.js");
  const utilities = await ConnectorUtilities.start();
  return { utilities, release: () => utilities.close() };
}

async function openConduitSource(target: LaunchTarget, settings: DriverSettings): Promise<SourceDriver> {
  const { ConduitSourceDriver, SchemaDecoder, StandaloneConnector } = await import("./conduit/index.js");
  const { utilities, release } = await utilitiesOf(settings);
  try {
    const handle = await StandaloneConnector.start({
      name: target.name,
      command: { shell: target.command },
      cwd: target.cwd,
      connectorId: settings.conduit?.connectorId ?? `${target.name}:source`,
      utilities,
      logger: settings.logger,
      logLevel: settings.conduit?.logLevel,
      startTimeoutMs: settings.startTimeoutMs,
    });
    return new ConduitSourceDriver(handle, {
      logger: settings.logger,
      schemas: new SchemaDecoder(utilities),
      onClose: release,
    });
  } catch (error) {
    await release();
    throw error;
  }
}

/** No protocol answered for an installed connector: what it did, and how to say which it speaks. */
export class UndetectedProtocolError extends SluiceError {
  constructor(name: string, cause: unknown) {
    super(
      codeOf(cause, "CONNECTOR_START_FAILED"),
      `cannot tell which protocol connector "${name}" speaks: ${messageOf(cause)}\n` +
        `declare it in the manifest ("protocol": one of ${CONNECTOR_PROTOCOLS.join(", ")}) and install again, or pass --protocol`,
      { cause },
    );
  }
}

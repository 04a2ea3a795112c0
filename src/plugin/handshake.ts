/**
 * go-plugin's handshake: the environment a host gives its plugin, and the one
 * line the plugin answers with on stdout
 * (`CORE|APP-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT[|MUX]`).
 * Both halves live here so host and server agree by construction.
 */
import { SluiceError } from "../errors.js";

export interface HandshakeConfig {
  /** Env var the plugin checks, e.g. "BASIC_PLUGIN" for c1-core. */
  magicCookieKey: string;
  magicCookieValue: string;
  /** App protocol versions, as offered by a host or served by a plugin. */
  protocolVersions: number[];
}

export interface HandshakeLine {
  coreVersion: number;
  appVersion: number;
  network: "unix" | "tcp";
  address: string;
  protocol: "grpc";
  /** Base64 (no padding) DER certificate of the plugin under AutoMTLS, else "". */
  serverCert: string;
  multiplexed: boolean;
}

export const CORE_PROTOCOL_VERSION = 1;

/** The message go-plugin plugins print when the magic cookie is missing or wrong. */
export const NOT_A_PLUGIN_MESSAGE =
  "This binary is a plugin. These are not meant to be executed directly. " +
  "Please execute the program that consumes these plugins, which will load any plugins automatically";

export const PluginEnv = {
  protocolVersions: "PLUGIN_PROTOCOL_VERSIONS",
  minPort: "PLUGIN_MIN_PORT",
  maxPort: "PLUGIN_MAX_PORT",
  unixSocketDir: "PLUGIN_UNIX_SOCKET_DIR",
  clientCert: "PLUGIN_CLIENT_CERT",
  multiplex: "PLUGIN_MULTIPLEX_GRPC",
} as const;

/** Thrown by parseHandshakeLine with what was wrong with the line. */
export class HandshakeLineError extends SluiceError {
  constructor(
    readonly kind: "malformed" | "unsupported",
    message: string,
    /** The line the plugin printed. */
    readonly line: string,
  ) {
    super(kind === "malformed" ? "PLUGIN_MALFORMED_HANDSHAKE" : "PLUGIN_UNSUPPORTED_PROTOCOL", message);
  }
}

export function formatHandshakeLine(line: Omit<HandshakeLine, "coreVersion" | "protocol">): string {
  const fields = [CORE_PROTOCOL_VERSION, line.appVersion, line.network, line.address, "grpc", line.serverCert];
  if (line.multiplexed) fields.push("true");
  return fields.join("|") + "\n";
}

export function parseHandshakeLine(raw: string, offered: number[]): HandshakeLine {
  const line = raw.trim();
  const parts = line.split("|");
  if (parts.length < 4) {
    throw new HandshakeLineError(
      "malformed",
      `malformed handshake line ${JSON.stringify(line)}: expected CORE|APP-VERSION|NETWORK|ADDRESS|PROTOCOL|CERT`,
      line,
    );
  }
  const [core, app, network, address, protocol = "netrpc", serverCert = "", mux = ""] = parts;
  const coreVersion = Number(core);
  const appVersion = Number(app);
  if (!Number.isInteger(coreVersion) || !Number.isInteger(appVersion)) {
    throw new HandshakeLineError(
      "malformed",
      `malformed handshake line ${JSON.stringify(line)}: versions must be integers`,
      line,
    );
  }
  if (coreVersion !== CORE_PROTOCOL_VERSION) {
    throw new HandshakeLineError(
      "unsupported",
      `unsupported go-plugin core protocol version ${coreVersion} (supported: ${CORE_PROTOCOL_VERSION})`,
      line,
    );
  }
  if (!offered.includes(appVersion)) {
    throw new HandshakeLineError(
      "unsupported",
      `the connector speaks app protocol version ${appVersion}, but this host offers ${offered.join(", ")}`,
      line,
    );
  }
  if (network !== "unix" && network !== "tcp") {
    throw new HandshakeLineError(
      "malformed",
      `unsupported network ${JSON.stringify(network)} in handshake (expected unix or tcp)`,
      line,
    );
  }
  if (protocol !== "grpc") {
    throw new HandshakeLineError(
      "unsupported",
      `the connector speaks go-plugin protocol ${JSON.stringify(protocol)}; Sluice supports only "grpc" (net/rpc plugins are legacy)`,
      line,
    );
  }
  if (!address) throw new HandshakeLineError("malformed", "handshake line has an empty address", line);
  return { coreVersion, appVersion, network, address, protocol, serverCert, multiplexed: mux === "true" };
}

/** The env vars a host sets for its plugin (besides inheriting its own env). */
export function hostEnvironment(configs: HandshakeConfig[], socketDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const config of configs) env[config.magicCookieKey] = config.magicCookieValue;
  const versions = [...new Set(configs.flatMap((c) => c.protocolVersions))];
  env[PluginEnv.protocolVersions] = versions.join(",");
  env[PluginEnv.minPort] = "10000";
  env[PluginEnv.maxPort] = "25000";
  env[PluginEnv.unixSocketDir] = socketDir;
  return env;
}

/**
 * The version a plugin serves: the highest it supports among those the host
 * offers. Without PLUGIN_PROTOCOL_VERSIONS (old hosts) the plugin's own highest.
 */
export function negotiateVersion(supported: number[], hostOffer: string | undefined): number | undefined {
  const offered = hostOffer ? hostOffer.split(",").map((v) => Number(v.trim())) : supported;
  const common = supported.filter((v) => offered.includes(v));
  return common.length ? Math.max(...common) : undefined;
}

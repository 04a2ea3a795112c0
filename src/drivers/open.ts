/**
 * Starts a go-plugin connector and picks the driver for the protocol it
 * speaks. With "auto", every known cookie is offered at once (a plugin only
 * reads its own) and the connector is asked for sluice.v1's Spec: a plugin
 * that does not implement it is taken for a c1-core connector.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { Logger } from "../logging.js";
import { isGrpcStatus, type LaunchCommand, PluginClient } from "../plugin/index.js";
import { C1_HANDSHAKE, SLUICE_HANDSHAKE } from "../protocol/handshakes.js";
import { C1Driver } from "./c1/driver.js";
import { NativeDriver } from "./native/driver.js";
import type { SourceDriver } from "./types.js";

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

export async function openConnector(options: OpenConnectorOptions): Promise<SourceDriver> {
  const handshakes =
    options.protocol === "sluice"
      ? [SLUICE_HANDSHAKE]
      : options.protocol === "c1"
        ? [C1_HANDSHAKE]
        : [SLUICE_HANDSHAKE, C1_HANDSHAKE];
  const plugin = await PluginClient.start({ ...options, handshakes });
  if (options.protocol === "c1") return new C1Driver(plugin);
  const native = new NativeDriver(plugin);
  if (options.protocol === "sluice") return native;
  try {
    await native.spec();
    return native;
  } catch (error) {
    if (isGrpcStatus(error, GrpcStatus.UNIMPLEMENTED)) return new C1Driver(plugin);
    await plugin.close();
    throw error;
  }
}

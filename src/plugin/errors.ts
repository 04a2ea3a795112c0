import type * as grpc from "@grpc/grpc-js";
import { type ErrorCode, SluiceError } from "../errors.js";

/** True when `error` is a gRPC status error with one of `codes`. */
export function isGrpcStatus(error: unknown, ...codes: grpc.status[]): boolean {
  return typeof error === "object" && error !== null && codes.includes((error as grpc.ServiceError).code);
}

/** Why a plugin could not be started, reached or stopped. */
export class PluginError extends SluiceError {
  constructor(
    code: ErrorCode,
    readonly plugin: string,
    message: string,
    readonly stderrTail = "",
    options?: { cause?: unknown },
  ) {
    super(
      code,
      `connector "${plugin}": ${message}${stderrTail ? `\n--- last lines of its stderr ---\n${stderrTail}` : ""}`,
      options,
    );
  }
}

export const PluginErrorCode = {
  executableNotFound: "PLUGIN_EXECUTABLE_NOT_FOUND",
  notExecutable: "PLUGIN_NOT_EXECUTABLE",
  exitedBeforeHandshake: "PLUGIN_EXITED_BEFORE_HANDSHAKE",
  wrongMagicCookie: "PLUGIN_WRONG_MAGIC_COOKIE",
  malformedHandshake: "PLUGIN_MALFORMED_HANDSHAKE",
  unsupportedProtocol: "PLUGIN_UNSUPPORTED_PROTOCOL",
  handshakeTimeout: "PLUGIN_HANDSHAKE_TIMEOUT",
  healthCheckFailed: "PLUGIN_HEALTH_CHECK_FAILED",
  brokerDialTimeout: "PLUGIN_BROKER_DIAL_TIMEOUT",
  crashed: "PLUGIN_CRASHED",
  notAPlugin: "PLUGIN_NOT_A_PLUGIN",
} as const satisfies Record<string, ErrorCode>;

/**
 * The host half of go-plugin: launch a plugin, validate its handshake, connect,
 * check health, open the broker and stdio streams, and stop it gracefully
 * (GRPCController.Shutdown, then SIGTERM, then SIGKILL). Every way a start can
 * fail ends in a PluginError that names the connector and shows its stderr.
 */
import type * as grpc from "@grpc/grpc-js";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import type { ErrorCode } from "../errors.js";
import { type Logger, silentLogger } from "../logging.js";
import { GRPCBrokerClient } from "../protocol/gen/plugin/grpc_broker.js";
import { GRPCControllerClient } from "../protocol/gen/plugin/grpc_controller.js";
import { GRPCStdioClient, StdioData_Channel } from "../protocol/gen/plugin/grpc_stdio.js";
import { HealthCheckResponse_ServingStatus, HealthClient } from "../protocol/gen/grpc/health/v1/health.js";
import { Broker } from "./broker.js";
import { isGrpcStatus, PluginError, PluginErrorCode } from "./errors.js";
import {
  type HandshakeConfig,
  type HandshakeLine,
  HandshakeLineError,
  hostEnvironment,
  NOT_A_PLUGIN_MESSAGE,
  parseHandshakeLine,
  PluginEnv,
} from "./handshake.js";
import type { Identity } from "./mtls.js";
import { StderrForwarder } from "./hclog.js";
import {
  ChildGroup,
  delay,
  describeExit,
  type ExitStatus,
  type LaunchCommand,
  LineSplitter,
  LOG_LINE_MAX_BYTES,
  STOP_GRACE,
  within,
} from "../process/index.js";
import { type ClientConstructor, makeSocketDir, openChannel, serviceClient, type TlsContext } from "./transport.js";

export interface PluginClientOptions {
  /** Name used in logs and errors. */
  name: string;
  command: LaunchCommand;
  /** Handshakes to offer; several cookies may be set at once (protocol detection). */
  handshakes: HandshakeConfig[];
  cwd?: string;
  /** Extra environment for the plugin (on top of the host's own). */
  env?: Record<string, string>;
  logger?: Logger;
  startTimeoutMs?: number;
  /** go-plugin AutoMTLS: offer a client certificate; TLS is used if the plugin answers with its own. */
  autoMTLS?: boolean;
}

/** How the host talks to a plugin: plain gRPC, or gRPC over mutual TLS (the plugin answered AutoMTLS with its certificate). */
export type PluginTransport = "grpc" | "grpc+mtls";

const DEFAULT_START_TIMEOUT_MS = 60_000;
const HEALTH_TIMEOUT_MS = 10_000;

export class PluginClient {
  private closing: Promise<ExitStatus> | undefined;

  private constructor(
    readonly name: string,
    readonly handshake: HandshakeLine,
    readonly channel: grpc.Channel,
    readonly broker: Broker,
    private readonly process: ChildGroup,
    private readonly stderr: StderrForwarder,
    private readonly removeSocketDir: () => void,
    private readonly logger: Logger,
    readonly transport: PluginTransport,
  ) {}

  static async start(options: PluginClientOptions): Promise<PluginClient> {
    const logger = (options.logger ?? silentLogger).child({ connector: options.name });
    const sockets = makeSocketDir();
    const identity = options.autoMTLS ? await (await import("./mtls.js")).generateIdentity() : undefined;
    const env = { ...process.env, ...options.env, ...hostEnvironment(options.handshakes, sockets.dir) };
    if (identity) env[PluginEnv.clientCert] = identity.certPem;
    const child = ChildGroup.launch(options.command, { name: options.name, cwd: options.cwd, env });
    const stderr = new StderrForwarder(logger);
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.exited.then(() => stderr.end());
    try {
      const offered = [...new Set(options.handshakes.flatMap((h) => h.protocolVersions))];
      const handshake = await readHandshake(options, child, stderr, offered, logger);
      const tls = identity && handshake.serverCert ? await trustPlugin(identity, handshake.serverCert) : undefined;
      if (identity && !tls) logger.debug("the plugin answered AutoMTLS without a certificate: plain connection");
      const channel = openChannel(handshake, tls);
      const broker = new Broker(sockets.dir, tls);
      const transport = tls ? "grpc+mtls" : "grpc";
      const client = new PluginClient(
        options.name,
        handshake,
        channel,
        broker,
        child,
        stderr,
        sockets.remove,
        logger,
        transport,
      );
      await client.checkHealth(Math.min(HEALTH_TIMEOUT_MS, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS));
      client.openBroker();
      client.forwardStdio();
      return client;
    } catch (error) {
      child.kill();
      await child.exited;
      sockets.remove();
      throw error;
    }
  }

  /** Resolves when the process exits, for racing against calls in flight. */
  get exited(): Promise<ExitStatus> {
    return this.process.exited;
  }

  get hasExited(): boolean {
    return this.process.hasExited;
  }

  /**
   * A generated gRPC client for one of the plugin's services. All share the
   * plugin's channel: never close() them (that closes the channel); close()
   * the PluginClient instead.
   */
  service<T>(Client: ClientConstructor<T>): T {
    return serviceClient(Client, this.channel);
  }

  /**
   * Turns a failed call into the error a user needs: if the process died, say
   * so with its exit status and stderr; otherwise keep the call's own error.
   */
  async explain(error: unknown): Promise<unknown> {
    const died = isGrpcStatus(error, GrpcStatus.UNAVAILABLE, GrpcStatus.CANCELLED, GrpcStatus.INTERNAL);
    if (!died && !this.hasExited) return error;
    const status = await within(this.process.exited, 1000, undefined);
    if (!status) return error;
    return new PluginError(
      PluginErrorCode.crashed,
      this.name,
      `crashed: the process ${describeExit(status)}`,
      this.stderr.recent(),
      { cause: error },
    );
  }

  stderrTail(): string {
    return this.stderr.recent();
  }

  /** Graceful stop; safe to call more than once. */
  close(): Promise<ExitStatus> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async checkHealth(timeoutMs: number): Promise<void> {
    const health = this.service(HealthClient);
    try {
      const response = await new Promise<{ status: HealthCheckResponse_ServingStatus }>((resolve, reject) =>
        health.check({ service: "plugin" }, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, reply) =>
          error ? reject(error) : resolve(reply),
        ),
      );
      if (response.status !== HealthCheckResponse_ServingStatus.SERVING) {
        throw new Error(`health service "plugin" answered ${HealthCheckResponse_ServingStatus[response.status]}`);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new PluginError(
        PluginErrorCode.healthCheckFailed,
        this.name,
        `failed its health check: ${message}`,
        this.stderr.recent(),
        { cause: error },
      );
    }
  }

  private openBroker(): void {
    const client = this.service(GRPCBrokerClient);
    this.broker.attach(client.startStream());
  }

  private forwardStdio(): void {
    const client = this.service(GRPCStdioClient);
    const call = client.streamStdio({});
    const stdout = new LineSplitter({ maxBytes: LOG_LINE_MAX_BYTES, overflow: "cut", source: this.name }, (line) =>
      this.logger.info(line, { stream: "stdout" }),
    );
    // A Go plugin's os.Stderr writes arrive here (go-plugin swaps it for a pipe):
    // they join the process's own stderr, so crash reports quote them too.
    call.on("data", (data: { channel: StdioData_Channel; data: Buffer }) =>
      data.channel === StdioData_Channel.STDERR ? this.stderr.push(data.data) : stdout.push(data.data),
    );
    call.on("end", () => stdout.end());
    // Older plugins lack GRPCStdio (UNIMPLEMENTED); a stopping one drops it (UNAVAILABLE).
    call.on("error", () => {});
  }

  private async shutdown(): Promise<ExitStatus> {
    const controller = this.service(GRPCControllerClient);
    // go-plugin plugins exit before answering, so an UNAVAILABLE here is a clean stop.
    const requestShutdown = () =>
      new Promise<void>((resolve) =>
        controller.shutdown({}, new Metadata(), { deadline: Date.now() + STOP_GRACE.afterRequestMs }, () => resolve()),
      );
    const status = await this.process.stop(requestShutdown);
    this.broker.close();
    this.channel.close();
    this.removeSocketDir();
    return status;
  }
}

async function trustPlugin(identity: Identity, serverCert: string): Promise<TlsContext> {
  const { pemFromHandshakeCert, tlsContext } = await import("./mtls.js");
  return tlsContext(identity, pemFromHandshakeCert(serverCert));
}

/** Resolves with the first stdout line (the handshake); later lines are logged. */
function firstLine(child: ChildGroup, name: string, logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    let first = true;
    const lines = new LineSplitter({ maxBytes: LOG_LINE_MAX_BYTES, overflow: "cut", source: name }, (line) => {
      if (first) resolve(line);
      else logger.debug(line, { stream: "stdout" });
      first = false;
    });
    child.stdout.on("data", (chunk: Buffer) => lines.push(chunk));
  });
}

async function readHandshake(
  options: PluginClientOptions,
  child: ChildGroup,
  stderr: StderrForwarder,
  offered: number[],
  logger: Logger,
): Promise<HandshakeLine> {
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const fail = (code: ErrorCode, message: string, cause?: unknown) =>
    new PluginError(code, options.name, message, stderr.recent(), { cause });
  const outcome = await within(
    Promise.race([
      firstLine(child, options.name, logger).then((line) => ({ line })),
      child.exited.then((status) => ({ status })),
    ]),
    timeoutMs,
    { timeout: true } as const,
  );
  if ("timeout" in outcome) {
    throw fail(
      PluginErrorCode.handshakeTimeout,
      `printed no handshake line within ${timeoutMs} ms (is it a go-plugin plugin?)`,
    );
  }
  if ("status" in outcome) {
    // Let the last stderr bytes arrive before quoting them.
    await delay(20);
    throw classifyEarlyExit(options, outcome.status, stderr.recent(), fail);
  }
  try {
    return parseHandshakeLine(outcome.line, offered);
  } catch (error) {
    if (error instanceof HandshakeLineError) {
      const code =
        error.kind === "malformed" ? PluginErrorCode.malformedHandshake : PluginErrorCode.unsupportedProtocol;
      throw fail(code, error.message, error);
    }
    throw error;
  }
}

/** Whether a command's program (its first word) names a directory. */
function isDirectory(command: string, cwd: string | undefined): boolean {
  const program = command.trim().split(/\s+/)[0] ?? "";
  try {
    return program !== "" && statSync(resolve(cwd ?? ".", program)).isDirectory();
  } catch {
    return false;
  }
}

function classifyEarlyExit(
  options: PluginClientOptions,
  status: ExitStatus,
  stderrTail: string,
  fail: (code: ErrorCode, message: string) => PluginError,
): PluginError {
  const command = "shell" in options.command ? options.command.shell : options.command.executable;
  if (status.spawnError?.code === "ENOENT" || status.code === 127) {
    return fail(
      PluginErrorCode.executableNotFound,
      `executable not found: ${JSON.stringify(command)} (check the path, or that it is built and on PATH)`,
    );
  }
  if (status.spawnError?.code === "EACCES" || status.code === 126) {
    if (isDirectory(command, options.cwd)) {
      return fail(
        PluginErrorCode.notExecutable,
        `${JSON.stringify(command)} is a directory, not a program: name the executable inside it`,
      );
    }
    return fail(PluginErrorCode.notExecutable, `${JSON.stringify(command)} is not executable (chmod +x it?)`);
  }
  if (stderrTail.includes(NOT_A_PLUGIN_MESSAGE.slice(0, 30))) {
    const cookies = options.handshakes.map((h) => h.magicCookieKey).join(" or ");
    return fail(
      PluginErrorCode.wrongMagicCookie,
      `rejected the magic cookie (${cookies}): it is a go-plugin plugin built for a different host or protocol; pick the right --protocol`,
    );
  }
  return fail(
    PluginErrorCode.exitedBeforeHandshake,
    `${describeExit(status)} before completing the go-plugin handshake`,
  );
}

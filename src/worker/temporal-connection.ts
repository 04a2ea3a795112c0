/**
 * Reaching Temporal, for the worker and for the server: the address, the
 * namespace, TLS (a CA, a client certificate for mTLS, a server name) and an
 * API key (from the environment only: argv is visible to every user). An
 * unreachable Temporal is said once, clearly, and retried until it answers
 * or the caller gives up (Ctrl-C), never a stack trace.
 */
import { Connection } from "@temporalio/client";
import { NativeConnection } from "@temporalio/worker";
import { readFileSync } from "node:fs";
import { messageOf, SluiceError, UsageError } from "../errors.js";
import type { Logger } from "../logging.js";

export const TEMPORAL_API_KEY_ENV = "TEMPORAL_API_KEY";
const RETRY_EVERY_MS = 5_000;

export interface TemporalSettings {
  /** host:port of Temporal's frontend. */
  address: string;
  namespace: string;
  /** TLS: true for the system's roots, or files for a private CA and mTLS. */
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string } | boolean;
}

export class TemporalUnreachableError extends SluiceError {
  constructor(address: string, cause: unknown) {
    super("TEMPORAL_UNREACHABLE", `Temporal at ${address} cannot be reached: ${messageOf(cause)}`, { cause });
  }
}

/** A worker's connection (the native one polls task queues), retried until it connects. */
export function connectWorker(
  settings: TemporalSettings,
  logger: Logger,
  signal: AbortSignal,
): Promise<NativeConnection> {
  return withRetry(settings, logger, signal, () =>
    NativeConnection.connect({ address: settings.address, tls: tlsOf(settings), apiKey: apiKey() }),
  );
}

/** A client's connection (start, cancel, describe workflows; schedules), retried until it connects. */
export function connectClient(settings: TemporalSettings, logger: Logger, signal: AbortSignal): Promise<Connection> {
  return withRetry(settings, logger, signal, () =>
    Connection.connect({ address: settings.address, tls: tlsOf(settings), apiKey: apiKey(), connectTimeout: "5s" }),
  );
}

async function withRetry<T>(
  settings: TemporalSettings,
  logger: Logger,
  signal: AbortSignal,
  connect: () => Promise<T>,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    signal.throwIfAborted();
    try {
      const connection = await connect();
      if (tries > 1) logger.info(`Temporal at ${settings.address} answers now`);
      return connection;
    } catch (error) {
      const unreachable = new TemporalUnreachableError(settings.address, error);
      if (tries === 1) logger.warn(`${unreachable.message}; retrying every ${RETRY_EVERY_MS / 1000} s (Ctrl-C stops)`);
      else logger.debug(`${unreachable.message} (try ${tries})`);
      await sleep(RETRY_EVERY_MS, signal);
    }
  }
}

function tlsOf(settings: TemporalSettings) {
  const { tls } = settings;
  if (tls === undefined || typeof tls === "boolean") return tls;
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new UsageError("--tls-cert and --tls-key go together: mTLS needs the certificate and its key");
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.ca === undefined ? undefined : readTlsFile(tls.ca, "--tls-ca"),
    clientCertPair:
      tls.cert === undefined || tls.key === undefined
        ? undefined
        : { crt: readTlsFile(tls.cert, "--tls-cert"), key: readTlsFile(tls.key, "--tls-key") },
  };
}

function readTlsFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`${flag} ${path} cannot be read: ${messageOf(error)}`);
  }
}

function apiKey(): string | undefined {
  const key = process.env[TEMPORAL_API_KEY_ENV]?.trim();
  return key ? key : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener("abort", aborted, { once: true });
  });
}

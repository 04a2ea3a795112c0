/**
 * Connecting again to a PostgreSQL server that ended a store's connection: tried again while the
 * server is out of reach (restarting, failing over) for up to SLUICE_PG_RECONNECT_SECONDS, and a
 * server that answers but takes no writes yet (a standby a failover has not promoted, or the old
 * primary the address still names) counts as out of reach. The store decides when to reconnect
 * (src/stores/postgres/store.ts).
 */
import { setTimeout as delay } from "node:timers/promises";
import type pg from "pg";
import { UsageError } from "../../errors.js";
import { StoreError, type StoreErrorCode } from "../types.js";
import { connectPostgres, describeServer, type PostgresTarget } from "./connection.js";

/** How long a lost connection is tried again while the server is out of reach (SLUICE_PG_RECONNECT_SECONDS, default 60; 0: not at all). */
export function reconnectWaitMs(): number {
  const setting = process.env.SLUICE_PG_RECONNECT_SECONDS;
  if (setting === undefined || setting === "") return DEFAULT_RECONNECT_SECONDS * 1000;
  if (!/^\d{1,6}$/.test(setting))
    throw new UsageError(
      `SLUICE_PG_RECONNECT_SECONDS=${setting}: give the seconds a sync waits for its PostgreSQL to come back, a whole number (0: no waiting)`,
    );
  return Number(setting) * 1000;
}

/**
 * Seconds a sync waits for its server to come back: a restart takes seconds, and a hosted database's
 * failover (Amazon RDS Multi-AZ, Cloud SQL, Azure) typically 20 to 60.
 */
const DEFAULT_RECONNECT_SECONDS = 60;
/** Pauses between tries, growing to the last one. */
const RECONNECT_PAUSES_MS = [250, 500, 1000, 2000, 5000];

interface ReconnectOptions {
  /** How long the server may stay out of reach. */
  waitMs: number;
  /** Ends the wait at once. */
  signal: AbortSignal;
  /** Hears of the first failure, and of the success after it (each naming the server). */
  tell: (message: string) => void;
}

/**
 * A new connection to a server that takes writes, tried again while the server is out of reach
 * (STORE_UNREACHABLE: refused, timed out, starting up, or taking no writes yet) until
 * `waitMs` has passed or `signal` aborts. Any other failure, or the last, is thrown with the reason
 * and how long it was tried.
 */
export async function connectWithin(
  target: PostgresTarget,
  { waitMs, signal, tell }: ReconnectOptions,
): Promise<pg.Client> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await connectPostgres(target, { writes: true });
      if (attempt > 0) tell(`${describeServer(client)}: connected again after ${secondsSince(started)} s`);
      return client;
    } catch (error) {
      const pause = RECONNECT_PAUSES_MS[Math.min(attempt, RECONNECT_PAUSES_MS.length - 1)]!;
      const outOfReach = error instanceof StoreError && error.code === "STORE_UNREACHABLE";
      if (!outOfReach || signal.aborted || Date.now() + pause - started > waitMs)
        throw triedFor(target, error, attempt, started);
      if (attempt === 0) tell(`${error.problem}: trying again for up to ${waitMs / 1000} s`);
      await delay(pause, undefined, { signal }).catch(() => {});
    }
  }
}

/** The last failure of connectWithin, saying how long the server was tried when it was tried again. */
function triedFor(target: PostgresTarget, error: unknown, attempt: number, started: number): unknown {
  if (!(error instanceof StoreError) || attempt === 0) return error;
  return new StoreError(
    target.display,
    `${error.problem}; tried again for ${secondsSince(started)} s (SLUICE_PG_RECONNECT_SECONDS sets how long)`,
    error,
    error.code as StoreErrorCode,
  );
}

function secondsSince(started: number): string {
  return ((Date.now() - started) / 1000).toFixed(1);
}

/**
 * The driver's settings for a PostgreSQL URL, read as libpq (psql, pg_dump) reads it where
 * node-postgres would read it otherwise or not at all: TLS (tls.ts), dbname, TCP keepalives,
 * connect_timeout, channel_binding, the password file; settings it cannot keep refused
 * (keywords.ts). connection.ts connects with them.
 */
import type pg from "pg";
import { parse as parseConnectionString, toClientConfig } from "pg-connection-string";
import { messageOf } from "../../errors.js";
import { StoreError, StoreLocationError } from "../types.js";
import type { PostgresTarget } from "./connection.js";
import { refuseUnkeptSettings } from "./keywords.js";
import { passwordFile, passwordFor } from "./password-file.js";
import { readTlsQuery, type Ssl, secondTry, tlsTries } from "./tls.js";
import { joinQuery, splitQuery } from "./url-query.js";

/**
 * The driver's settings for a URL, read as libpq (psql, pg_dump) reads it, so the URL a provider
 * hands out works unchanged: `sslmode=require` encrypts without checking the certificate,
 * `verify-ca` checks it against `sslrootcert`, `verify-full` its host name too, and the TLS
 * settings missing from the URL come from their PG* variables (tls.ts). node-postgres 8 would
 * instead check every certificate fully (and print a warning) whatever sslmode says, and read
 * PGSSLMODE alone. A URL that says `uselibpqcompat` itself is left to it. Its TLS is the first
 * choice sslmode tries, or the one that connected to this server last time.
 */
export function clientSettings(target: PostgresTarget): pg.ClientConfig {
  const { settings, tries } = readSettings(target);
  return { ...settings, ssl: negotiated.get(target.url) ?? tries[0] };
}

/** The settings for a URL, and the TLS choices its sslmode tries in turn (see tlsTries). */
function readSettings(target: PostgresTarget): { settings: pg.ClientConfig; tries: Ssl[] } {
  const { base, query } = splitQuery(target.url);
  refuseUnkeptSettings(target, query);
  readTlsQuery(target, query);
  // libpq's dbname in the query, which the driver ignores (connecting to the user's database instead).
  const database = query.get("dbname");
  query.delete("dbname");
  const url = joinQuery(base, query);
  try {
    const settings = toClientConfig(parseConnectionString(url, { useLibpqCompat: !query.has("uselibpqcompat") }));
    if (database !== null) settings.database = database;
    return {
      settings: {
        ...settings,
        ...keepAliveSettings(target, query),
        ...connectTimeoutSettings(target, query),
        ...channelBindingSettings(target, query),
        ...passwordSettings(target, settings, query),
      },
      tries: tlsTries(target, query, settings.ssl),
    };
  } catch (error) {
    if (error instanceof StoreLocationError) throw error;
    // The parser reads the files sslrootcert, sslcert and sslkey name: a failure with a path is one of them.
    if ((error as NodeJS.ErrnoException).path)
      throw new StoreError(
        target.display,
        `a file its TLS settings name: ${messageOf(error)}`,
        error,
        "STORE_TLS_FAILED",
      );
    throw new StoreLocationError(`store ${target.display}: the URL cannot be read (${messageOf(error)})`);
  }
}

/** By server URL, the TLS choice that connected after the first was refused: later connections start with it. */
const negotiated = new Map<string, Ssl>();

/**
 * The TLS choice to connect with again after `tried` failed with `error`, where the URL's sslmode
 * has another and the server refused this one for its encryption (see tlsTries); else undefined.
 * rememberTlsTry notes the one that worked.
 */
export function otherTlsTry(target: PostgresTarget, tried: Ssl, error: unknown): Ssl | undefined {
  return secondTry(readSettings(target).tries, tried, error);
}

/** Later connections to the server start with the TLS choice that connected (see otherTlsTry). */
export function rememberTlsTry(target: PostgresTarget, ssl: Ssl): void {
  negotiated.set(target.url, ssl);
}

/**
 * Seconds a connection may sit idle before TCP checks that its server is still there. A sync's
 * connection idles while its connector produces the next page, which for a slow source takes minutes;
 * a NAT or load balancer on the way forgets a connection idle for a few (AWS's 350 s, Azure's 4 min),
 * after which the next page waits for TCP to give up (many minutes) and fails. A probe each minute
 * keeps the connection known on the way, and tells a server gone silently within minutes.
 */
const KEEPALIVE_IDLE_SECONDS = 60;

/**
 * TCP keepalives as libpq's `keepalives` (0 turns them off; on by default, as in libpq) and
 * `keepalives_idle` (seconds, default KEEPALIVE_IDLE_SECONDS) in the URL say. Node sets the idle
 * time only: libpq's keepalives_interval and keepalives_count are left to the system.
 */
function keepAliveSettings(target: PostgresTarget, query: URLSearchParams): pg.ClientConfig {
  const on = query.get("keepalives");
  const idle = query.get("keepalives_idle");
  if (on !== null && on !== "0" && on !== "1")
    throw new StoreLocationError(`store ${target.display}: keepalives=${on} in the URL: give 1 (on) or 0 (off)`);
  if (idle !== null && !/^[1-9]\d{0,6}$/.test(idle))
    throw new StoreLocationError(
      `store ${target.display}: keepalives_idle=${idle} in the URL: give the seconds a connection may idle, a whole number from 1`,
    );
  return {
    keepAlive: on !== "0",
    keepAliveInitialDelayMillis: (idle === null ? KEEPALIVE_IDLE_SECONDS : Number(idle)) * 1000,
  };
}

/** Seconds a connection may take to be made where the URL and PGCONNECT_TIMEOUT say nothing. */
const CONNECT_TIMEOUT_SECONDS = 15;

/**
 * How long making a connection may take, as libpq's `connect_timeout` (URL) or PGCONNECT_TIMEOUT say:
 * whole seconds, at least 2 (as libpq rounds up), 0 for no limit. The driver reads neither.
 */
function connectTimeoutSettings(target: PostgresTarget, query: URLSearchParams): pg.ClientConfig {
  const given = query.get("connect_timeout") ?? (process.env.PGCONNECT_TIMEOUT || null);
  if (given === null) return { connectionTimeoutMillis: CONNECT_TIMEOUT_SECONDS * 1000 };
  if (!/^\d{1,6}$/.test(given.trim()))
    throw new StoreLocationError(
      `store ${target.display}: connect_timeout=${given} (URL or PGCONNECT_TIMEOUT): give whole seconds, 0 for no limit`,
    );
  const seconds = Number(given);
  return { connectionTimeoutMillis: seconds === 0 ? 0 : Math.max(seconds, 2) * 1000 };
}

/**
 * libpq's `channel_binding` (URL) or PGCHANNELBINDING: `require` and `prefer` bind the password
 * exchange (SCRAM) to the TLS connection, so that a server in the middle cannot relay it (as hosted
 * providers' URLs ask, e.g. Neon's); `disable` does not, nor does a URL that says nothing (the
 * driver's default). `require` without TLS is refused, as libpq refuses it.
 */
function channelBindingSettings(target: PostgresTarget, query: URLSearchParams): pg.ClientConfig {
  const given = query.get("channel_binding") ?? (process.env.PGCHANNELBINDING || null);
  if (given === null) return {};
  if (!["require", "prefer", "disable"].includes(given))
    throw new StoreLocationError(
      `store ${target.display}: channel_binding=${given} (URL or PGCHANNELBINDING): give require, prefer or disable`,
    );
  const tls = !["disable", "allow", null].includes(query.get("sslmode"));
  if (given === "require" && !tls)
    throw new StoreLocationError(
      `store ${target.display}: channel_binding=require binds the password exchange to TLS, which sslmode does not ask for: ` +
        "add sslmode=require (or verify-full)",
    );
  return { enableChannelBinding: given !== "disable" };
}

/** Where the URL and PGPASSWORD give no password: libpq's password file, read when the server asks (password-file.ts). */
function passwordSettings(target: PostgresTarget, settings: pg.ClientConfig, query: URLSearchParams): pg.ClientConfig {
  if (settings.password || process.env.PGPASSWORD) return {};
  const lookUp = passwordFor(passwordFile(query.get("passfile")), target.display);
  // pg calls it with the connection's parameters as it resolved them (URL, PG*), which its types leave out.
  return { password: lookUp as unknown as () => string };
}

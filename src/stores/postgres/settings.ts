/**
 * The driver's settings for a PostgreSQL URL, read as libpq (psql, pg_dump) reads it where
 * node-postgres would read it otherwise or not at all: TLS (sslmode and its files, with their PG*
 * variables), TCP keepalives, connect_timeout, channel_binding, the password file. connection.ts
 * connects with them.
 */
import type pg from "pg";
import { parse as parseConnectionString, toClientConfig } from "pg-connection-string";
import { messageOf } from "../../errors.js";
import { StoreError, StoreLocationError } from "../types.js";
import type { PostgresTarget } from "./connection.js";
import { passwordFile, passwordFor } from "./password-file.js";
import { joinQuery, splitQuery } from "./url-query.js";

/** libpq's TLS settings: a URL's query parameter, or else its environment variable. */
const TLS_SETTINGS = [
  ["sslmode", "PGSSLMODE"],
  ["sslrootcert", "PGSSLROOTCERT"],
  ["sslcert", "PGSSLCERT"],
  ["sslkey", "PGSSLKEY"],
] as const;

/**
 * The driver's settings for a URL, read as libpq (psql, pg_dump) reads it, so the URL a provider
 * hands out works unchanged: `sslmode=require` encrypts without checking the certificate,
 * `verify-ca` checks it against `sslrootcert`, `verify-full` its host name too, and the TLS
 * settings missing from the URL come from PGSSLMODE, PGSSLROOTCERT, PGSSLCERT and PGSSLKEY.
 * node-postgres 8 would instead check every certificate fully (and print a warning) whatever
 * sslmode says, and read PGSSLMODE alone. A URL that says `uselibpqcompat` itself is left to it.
 */
export function clientSettings(target: PostgresTarget): pg.ClientConfig {
  const { settings, tries } = readSettings(target);
  return { ...settings, ssl: negotiated.get(target.url) ?? tries[0] };
}

/** The settings for a URL, and the TLS choices its sslmode tries in turn (see tlsTries). */
function readSettings(target: PostgresTarget): { settings: pg.ClientConfig; tries: Ssl[] } {
  const { base, query } = splitQuery(target.url);
  for (const [name, variable] of TLS_SETTINGS) {
    const value = process.env[variable];
    if (value && !query.has(name)) query.set(name, value);
  }
  useSystemAuthorities(target, query);
  refuseWeakDirectTls(target, query);
  const url = joinQuery(base, query);
  if (query.get("sslmode") === "verify-ca" && !query.has("sslrootcert"))
    throw new StoreError(
      target.display,
      "sslmode=verify-ca checks the server's certificate against the authority you name: give its certificate " +
        "with sslrootcert=<file> in the URL or PGSSLROOTCERT, or use sslmode=verify-full",
      undefined,
      "STORE_TLS_FAILED",
    );
  try {
    const settings = toClientConfig(parseConnectionString(url, { useLibpqCompat: !query.has("uselibpqcompat") }));
    return {
      settings: {
        ...settings,
        ...keepAliveSettings(target, query),
        ...connectTimeoutSettings(target, query),
        ...channelBindingSettings(target, query),
        ...passwordSettings(target, settings, query),
      },
      tries: tlsTries(query, settings.ssl),
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

type Ssl = pg.ClientConfig["ssl"];

/**
 * The TLS choices a connection tries in turn, as libpq's sslmode says: `prefer` encrypts (without
 * checking the certificate) and, where the server offers no TLS, connects again unencrypted; `allow`,
 * and a URL and PGSSLMODE saying nothing, connect unencrypted and, where the server takes only
 * encrypted connections (pg_hba.conf's hostssl), again with TLS. (libpq's default is prefer; a
 * plain first try keeps a server that offers TLS without asking for it unencrypted, as before.)
 * The other modes have one choice; so has prefer with channel_binding=require, which a plain
 * connection cannot honour, and a URL left to the driver's own reading (uselibpqcompat).
 */
function tlsTries(query: URLSearchParams, configured: Ssl): Ssl[] {
  if (query.has("uselibpqcompat")) return [configured];
  const unchecked = { ...(typeof configured === "object" ? configured : {}), rejectUnauthorized: false };
  const mode = query.get("sslmode");
  if (mode === "allow" || (mode === null && !configured)) return [false, unchecked];
  const bound = (query.get("channel_binding") ?? process.env.PGCHANNELBINDING) === "require";
  if (mode === "prefer" && !bound) return [configured, false];
  return [configured];
}

/** By server URL, the TLS choice that connected after the first was refused: later connections start with it. */
const negotiated = new Map<string, Ssl>();

/** The server refused a connection for its encryption: no TLS offered, or only encrypted connections taken. */
const REFUSED_FOR_TLS = /does not support SSL|error establishing an SSL connection/i;
const PLAIN_REFUSED_CODE = "28000";

/**
 * The TLS choice to connect with again after `tried` failed with `error`, where the URL's sslmode
 * has another and the server refused this one for its encryption (see tlsTries); else undefined.
 * rememberTlsTry notes the one that worked.
 */
export function otherTlsTry(target: PostgresTarget, tried: Ssl, error: unknown): Ssl | undefined {
  const { tries } = readSettings(target);
  const { code, message = "" } = (error ?? {}) as { code?: string; message?: string };
  const other = tries.find((ssl) => Boolean(ssl) !== Boolean(tried));
  if (tries.length < 2 || other === undefined) return undefined;
  const refused = tried ? REFUSED_FOR_TLS.test(message) : code === PLAIN_REFUSED_CODE;
  return refused ? other : undefined;
}

/** Later connections to the server start with the TLS choice that connected (see otherTlsTry). */
export function rememberTlsTry(target: PostgresTarget, ssl: Ssl): void {
  negotiated.set(target.url, ssl);
}

/**
 * libpq's `sslrootcert=system` (libpq 16; in the URL or PGSSLROOTCERT): the certificate authorities
 * the system trusts (here, Node's, with NODE_EXTRA_CA_CERTS), which the driver would read as a file
 * named "system". As in libpq it means sslmode=verify-full, and refuses a weaker mode.
 */
function useSystemAuthorities(target: PostgresTarget, query: URLSearchParams): void {
  if (query.get("sslrootcert") !== "system") return;
  const mode = query.get("sslmode");
  if (mode !== null && mode !== "verify-full")
    throw new StoreLocationError(
      `store ${target.display}: sslrootcert=system trusts the system's certificate authorities, which libpq allows ` +
        `with sslmode=verify-full only (sslmode=${mode} given): give sslmode=verify-full, or leave sslmode out`,
    );
  query.delete("sslrootcert");
  query.set("sslmode", "verify-full");
}

/**
 * libpq 17's `sslnegotiation=direct` (URL or PGSSLNEGOTIATION) starts TLS at once, without asking the
 * server first; libpq allows it with a mode that insists on TLS only. The driver would otherwise
 * fail without naming the URL (no sslmode) or check the certificate fully (prefer, allow).
 */
function refuseWeakDirectTls(target: PostgresTarget, query: URLSearchParams): void {
  if ((query.get("sslnegotiation") ?? process.env.PGSSLNEGOTIATION) !== "direct") return;
  const mode = query.get("sslmode");
  if (mode === "require" || mode === "verify-ca" || mode === "verify-full") return;
  throw new StoreLocationError(
    `store ${target.display}: sslnegotiation=direct (URL or PGSSLNEGOTIATION) starts TLS at once, which libpq allows ` +
      `with sslmode=require, verify-ca or verify-full only (${mode === null ? "no sslmode" : `sslmode=${mode}`} given)`,
  );
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

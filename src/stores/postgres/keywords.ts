/**
 * Every setting a PostgreSQL URL's query may carry, and what Sluice does with it, so that none is
 * silently ignored: libpq's keywords are applied (by settings.ts, tls.ts, servers.ts,
 * require-auth.ts or the driver), have nothing to do here, are not applied (a warning says so), or
 * are refused where connecting without them would be less safe than asked. node-postgres's own
 * settings are applied by it. Any other name is a misspelt keyword (refused, naming the one meant)
 * or another tool's setting (Prisma's `schema`, `pgbouncer`…), which Sluice ignores with a warning.
 */
import { nearestName } from "../../spelling.js";
import { StoreLocationError } from "../types.js";
import type { PostgresTarget } from "./connection.js";
import { splitQuery } from "./url-query.js";

/** libpq's keywords Sluice applies. */
const APPLIED = [
  "host",
  "hostaddr",
  "port",
  "dbname",
  "user",
  "password",
  "passfile",
  "service",
  "target_session_attrs",
  "load_balance_hosts",
  "connect_timeout",
  "keepalives",
  "keepalives_idle",
  "client_encoding",
  "options",
  "application_name",
  "fallback_application_name",
  "channel_binding",
  "require_auth",
  "sslmode",
  "sslnegotiation",
  "sslcert",
  "sslkey",
  "sslpassword",
  "sslrootcert",
  "sslcrl",
  "sslcrldir",
  "sslcertmode",
  "ssl_min_protocol_version",
  "ssl_max_protocol_version",
];

/** libpq's keywords for what Sluice has none of (Kerberos, GSSAPI, TLS compression): nothing to do. */
const NO_EFFECT = ["gssencmode", "krbsrvname", "gsslib", "gssdelegation", "sslcompression"];

/** libpq's keywords Sluice cannot apply, and why: a warning, since connecting without them is no less safe. */
const NOT_APPLIED: Record<string, string> = {
  keepalives_interval: "the system's TCP settings give the time between keepalive probes",
  keepalives_count: "the system's TCP settings give the number of keepalive probes",
  tcp_user_timeout: "the system's TCP settings give how long sent data may go unacknowledged",
  sslsni: "the server's host name is always sent in the TLS handshake",
};

/** libpq's keywords that make a connection safer in ways Sluice cannot check: refused, with their variables. */
const REFUSED: Record<string, { variable: string; why: string; refuses?: (value: string) => boolean }> = {
  requirepeer: {
    variable: "PGREQUIREPEER",
    why: "Node cannot ask a Unix socket which user serves it; connect over TCP with sslmode=verify-full to check the server instead",
  },
  gssencmode: {
    variable: "PGGSSENCMODE",
    why: "Sluice has no GSSAPI encryption; use sslmode=require (or stronger) for an encrypted connection",
    refuses: (value) => value === "require",
  },
};

/** node-postgres's own settings, which it applies. */
const DRIVER = [
  "ssl",
  "uselibpqcompat",
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  "query_timeout",
  "binary",
  "replication",
];

const KNOWN = [...APPLIED, ...NO_EFFECT, ...Object.keys(NOT_APPLIED), ...Object.keys(REFUSED), ...DRIVER];
const LIBPQ = [...APPLIED, ...NO_EFFECT, ...Object.keys(NOT_APPLIED), ...Object.keys(REFUSED)];

/**
 * Refuses a URL (or PG* variable) asking for a safety Sluice cannot keep, or carrying a misspelt
 * keyword (`sslmdoe=require` would otherwise connect unencrypted).
 */
export function refuseUnkeptSettings(target: PostgresTarget, query: URLSearchParams): void {
  for (const [name, { variable, why, refuses = () => true }] of Object.entries(REFUSED)) {
    const inUrl = query.get(name);
    const given = inUrl ?? (process.env[variable] || null);
    if (given !== null && refuses(given))
      throw new StoreLocationError(
        `store ${target.display}: ${name}=${given} (${inUrl === null ? variable : "URL"}): ${why}`,
      );
  }
  for (const name of query.keys()) {
    if (KNOWN.includes(name)) continue;
    const meant = nearestName(name, LIBPQ);
    if (meant)
      throw new StoreLocationError(
        `store ${target.display}: ${name}= in the URL is no PostgreSQL connection setting: did you mean ${meant}?`,
      );
  }
}

/** refuseUnkeptSettings for a whole URL: what a destination kept for later syncs is checked with. */
export function checkUrlSettings(target: PostgresTarget): void {
  refuseUnkeptSettings(target, splitQuery(target.url).query);
}

/** Why Sluice ignores each of the URL's settings it does not apply (other tools' settings, libpq's it cannot apply). */
export function ignoredSettings(url: string): string[] {
  const notes: string[] = [];
  for (const name of new Set(splitQuery(url).query.keys())) {
    if (NOT_APPLIED[name]) notes.push(`${name} in the --db URL is not applied: ${NOT_APPLIED[name]}`);
    else if (name === "schema")
      notes.push(
        "schema in the --db URL is not a PostgreSQL connection setting and is ignored: give Sluice's schema with --schema",
      );
    else if (!KNOWN.includes(name))
      notes.push(`${name} in the --db URL is not a PostgreSQL connection setting (another tool's?) and is ignored`);
  }
  return notes;
}

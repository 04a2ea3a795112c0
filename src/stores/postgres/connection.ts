/**
 * Connecting to PostgreSQL, for the store and anything else keeping data
 * there (the server's metadata): a URL whose missing parts come from the
 * standard PG* environment variables, a password from the URL, PGPASSWORD or
 * ~/.pgpass (node-postgres reads them all), the URL's settings read as libpq
 * reads them (settings.ts), the servers it lists tried in turn (servers.ts),
 * and failures turned into errors that name the server and say why — never
 * showing the password.
 */
import pg from "pg";
import { messageOf, SluiceError } from "../../errors.js";
import { quoteIdentifier } from "../naming.js";
import { StoreError, type StoreErrorCode } from "../types.js";
import { describeServer } from "./describe.js";
import { guardAuthentication } from "./require-auth.js";
import { serverList, sessionMismatch } from "./servers.js";
import { clientSettings, otherTlsTry, rememberTlsTry } from "./settings.js";

export { describeServer };

export interface PostgresTarget {
  /** The URL as given (may hold a password): only for the driver. */
  url: string;
  /** The URL without its password, for messages. */
  display: string;
}

/** int8 as a number where exact, else a bigint: counts and ids stay numbers, big values stay exact. */
function parseInt8(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

export const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 && format !== "binary"
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Inside a transaction: takes the schema's lock, the one every Sluice process creating the schema or its
 * own tables takes (held to the transaction's end), then creates the schema when it is missing and
 * `create` allows. Two processes creating one schema at once would otherwise fail on PostgreSQL's catalog
 * ("duplicate key … pg_namespace_nspname_index"), IF NOT EXISTS or not. Returns whether it exists now.
 */
export async function holdSchema(client: pg.Client, schema: string, create: boolean): Promise<boolean> {
  await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`sluice:${schema}`]);
  const { rows } = await client.query<{ present: boolean }>(
    "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS present",
    [schema],
  );
  if (rows[0]?.present) return true;
  if (!create) return false;
  // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists: asked first, above.
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  return true;
}

/** Why each client's connection ended, where it did. */
const lost = new WeakMap<pg.Client, unknown>();

/**
 * Notes that a query's failure ended the client's connection (the server ended the session, the
 * connection broke): pg tells the query first, and the client's 'error' or 'end' may come after
 * the next query was sent on it.
 */
export function noteFailure(client: pg.Client, error: unknown): void {
  const { code = "", message = String(error) } = (error ?? {}) as PgLikeError;
  if (!lost.has(client) && (SESSION_ENDED.has(code) || CONNECTION_BROKE.test(message))) lost.set(client, error);
}

/** PostgreSQL's SQLSTATE for a write in a read-only transaction: here, a server that stopped taking writes. */
const READ_ONLY_TRANSACTION = "25006";

/**
 * Whether the client's connection was closed because its server stopped taking writes (see
 * watchConnection), rather than ended by the server or the network.
 */
export function stoppedTakingWrites(client: pg.Client): boolean {
  return (lost.get(client) as PgLikeError | undefined)?.code === READ_ONLY_TRANSACTION;
}

/**
 * Whether the client's connection has ended (the server, the network, or end()), or its server
 * stopped taking writes: no write will run on it.
 */
export function connectionLost(client: pg.Client): boolean {
  return lost.has(client);
}

/** Why the client's connection ended (the server, the network, or end()), in words; undefined while it is open. */
export function lossReason(client: pg.Client): string | undefined {
  if (!lost.has(client)) return undefined;
  const first = lost.get(client) as PgLikeError;
  return reasonOf(first.code ?? "", first.message ?? String(first), client);
}

/**
 * Keeps why a client's connection ended. A server that goes away emits 'error' on the client, which
 * with no listener would end the process (a pool listens only to its idle clients, not to one lent
 * out); the next query fails saying only that the client is not queryable, so the reason is kept for
 * its message (postgresError).
 */
export function watchConnection(client: pg.Client): void {
  client.on("error", (error) => {
    if (!lost.has(client)) lost.set(client, error);
  });
  client.on("end", () => {
    if (!lost.has(client)) lost.set(client, new Error("Connection terminated"));
  });
  // A server that stops taking writes under an open connection (a failover demoting a primary that
  // stays up, default_transaction_read_only set) would fail every write on it from then on: the
  // connection counts as lost, so that a store connects again (ending it once its transaction is
  // over) and a pool drops it when it comes back (postgresPool), each looking for a server that
  // takes writes.
  client.connection.on("errorMessage", (message: PgLikeError) => {
    if (message.code === READ_ONLY_TRANSACTION && !lost.has(client)) lost.set(client, message);
  });
}

export interface ConnectOptions {
  applicationName?: string;
  types?: pg.CustomTypesConfig;
  /** The connection writes: only a server that takes writes will do (see servers.ts). */
  writes?: boolean;
}

/**
 * A connected client, or an error naming the server and the reason. Where the URL names several
 * servers, or asks for a kind of server (servers.ts), the first that connects and is of that kind.
 */
export async function connectPostgres(target: PostgresTarget, options: ConnectOptions = {}): Promise<pg.Client> {
  return (await connectListed(target, options)).client;
}

/** connectPostgres, also saying which server of the URL's list it reached. */
export async function connectListed(
  target: PostgresTarget,
  options: ConnectOptions,
): Promise<{ client: pg.Client; server: PostgresTarget }> {
  const { servers, passes, asked } = serverList(target, options);
  const failures = new Map<string, StoreError>();
  for (const kind of passes)
    for (const server of servers) {
      let client: pg.Client;
      try {
        client = await connectServer(server, options);
      } catch (error) {
        // Each server is tried, as libpq does; a URL that cannot be read is not a server's failure.
        if (!(error instanceof StoreError)) throw error;
        failures.set(error.problem, error);
        continue;
      }
      let mismatch: string | undefined;
      try {
        mismatch = await sessionMismatch(client, kind, asked);
      } catch (error) {
        await client.end().catch(() => {});
        const failure = postgresError(server.display, client, error);
        if (!(failure instanceof StoreError)) throw failure;
        failures.set(failure.problem, failure);
        continue;
      }
      if (mismatch === undefined) return { client, server };
      const advice = servers.length === 1 && asked === "any" ? `: ${NAME_THE_PRIMARY}` : "";
      // A server of another kind is out of reach for now: a failover may make it the one wanted.
      const failure = new StoreError(
        server.display,
        `${describeServer(client)}: ${mismatch}${advice}`,
        undefined,
        "STORE_UNREACHABLE",
      );
      failures.set(failure.problem, failure);
      await client.end().catch(() => {});
    }
  throw noServerTook(target, servers.length, [...failures.values()]);
}

const NAME_THE_PRIMARY =
  "name the primary in --db, or list the cluster's servers (postgres://user@host1,host2/db) for Sluice to find it";

/**
 * One server's client, connected, or an error naming it and the reason. Where the server refuses the
 * connection for its encryption and the URL's sslmode allows the other way (settings.ts), connects
 * again that way, and the server's later connections start with it.
 */
async function connectServer(server: PostgresTarget, options: ConnectOptions): Promise<pg.Client> {
  const settings: pg.ClientConfig = {
    // Sluice's name where the URL and PGAPPNAME give none, as libpq's fallback_application_name is.
    fallback_application_name: options.applicationName ?? "sluice",
    ...clientSettings(server),
    types: options.types ?? TYPES,
  };
  let { client, error } = await tryConnecting(server, settings);
  const other = error === undefined ? undefined : otherTlsTry(server, settings.ssl, error);
  if (other !== undefined) {
    const second = await tryConnecting(server, { ...settings, ssl: other });
    if (second.error === undefined) rememberTlsTry(server, other);
    // A server offering no TLS to the second try refused the first for another reason: its refusal says more.
    if (second.error === undefined || !NO_TLS_ON_SERVER.test(messageOf(second.error))) ({ client, error } = second);
  }
  if (error !== undefined) throw postgresError(server.display, client, error);
  return client;
}

async function tryConnecting(
  server: PostgresTarget,
  settings: pg.ClientConfig,
): Promise<{ client: pg.Client; error?: unknown }> {
  const client = new pg.Client(settings);
  guardAuthentication(client, server);
  watchConnection(client);
  try {
    await client.connect();
    return { client };
  } catch (error) {
    await client.end().catch(() => {});
    return { client, error };
  }
}

/**
 * The failure of a whole list, naming each server's: out of reach while every server is (a failover
 * in its midst: a sync waits), else the others' code (a password refused by all).
 */
function noServerTook(target: PostgresTarget, servers: number, failures: StoreError[]): StoreError {
  if (servers === 1 && failures.length === 1) return failures[0]!;
  const codes = new Set(failures.map((f) => f.code).filter((code) => code !== "STORE_UNREACHABLE"));
  const code = codes.size === 0 ? "STORE_UNREACHABLE" : codes.size === 1 ? [...codes][0]! : "STORE_FAILED";
  return new StoreError(
    target.display,
    `none of its ${servers} servers took the connection: ${failures.map((f) => f.problem).join("; ")}`,
    failures[0],
    code as StoreErrorCode,
  );
}

/**
 * A pool's failure to reach its server (refused, timed out, the password, TLS, a connection lost
 * mid-query) as an error naming the server and why; undefined for any other failure, which the
 * caller reports as its own.
 */
export function connectionFailure(display: string, error: unknown): StoreError | undefined {
  const failure = postgresError(display, undefined, error);
  return failure instanceof StoreError && CONNECTION_CODES.has(failure.code) ? failure : undefined;
}

const CONNECTION_CODES = new Set<string>(["STORE_UNREACHABLE", "STORE_AUTH_FAILED", "STORE_TLS_FAILED"]);

interface PgLikeError {
  code?: string;
  message?: string;
  errno?: number;
}

/** A failure of PostgreSQL (or of reaching it) as a StoreError that says where and why. */
export function postgresError(display: string, client: pg.Client | undefined, error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  const server = client ? describeServer(client) : display;
  const ended = client && lost.get(client);
  const { code = "", message = String(error) } = (error ?? {}) as PgLikeError;
  if (ended && NOT_QUERYABLE.test(message))
    return new StoreError(
      display,
      `${server}: the connection was lost: ${lossReason(client)}`,
      ended,
      "STORE_UNREACHABLE",
    );
  if (!client && NOT_QUERYABLE.test(message))
    return new StoreError(display, `the connection was lost (${message})`, error, "STORE_UNREACHABLE");
  const reason = reasonOf(code, message, client);
  // Without a client the location is all there is to name, and the StoreError names it already.
  return new StoreError(display, client ? `${server}: ${reason}` : reason, error, codeOf(code, message));
}

const CONNECTION_BROKE = /Connection terminated|ECONNRESET/i;
/** The server ended the session (an administrator, a shutdown, a crash recovery): the connection is gone. */
const SESSION_ENDED = new Set(["57P01", "57P02", "57P03", "57P05"]);

/** What pg says of a query on a client whose connection has ended: the reason came before (see connectPostgres). */
const NOT_QUERYABLE = /is not queryable/;

/** Node's codes for a certificate that sslmode asks to check and that fails the check. */
const UNTRUSTED_CERTIFICATE = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);
const NO_TLS_ON_SERVER = /does not support SSL/i;
/** Node's codes for a certificate checked and refused for another reason than its authority. */
const CERTIFICATE_REFUSED = new Set([
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_HAS_EXPIRED",
  "CERT_REVOKED",
  "UNABLE_TO_GET_CRL",
]);

function codeOf(code: string, message: string): StoreErrorCode {
  if (UNTRUSTED_CERTIFICATE.has(code) || CERTIFICATE_REFUSED.has(code)) return "STORE_TLS_FAILED";
  if (NO_TLS_ON_SERVER.test(message)) return "STORE_TLS_FAILED";
  if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENOENT"].includes(code))
    return "STORE_UNREACHABLE";
  // The server ended the session, or the connection broke: lost during the command.
  if (SESSION_ENDED.has(code) || CONNECTION_BROKE.test(message)) return "STORE_UNREACHABLE";
  // Out of reach for writing, as a standby is to a connection (see servers.ts): a failover may end it.
  if (code === READ_ONLY_TRANSACTION) return "STORE_UNREACHABLE";
  if (code === "28P01" || code === "28000") return "STORE_AUTH_FAILED";
  return "STORE_FAILED";
}

/** Why PostgreSQL cancelled a statement (57014): one of its timeouts, set for the user or the database, or a person. */
function cancelReason(message: string, client: pg.Client | undefined): string {
  const user = client?.user ?? "<user>";
  const timeout = /statement timeout/i.test(message)
    ? "statement_timeout"
    : /lock timeout/i.test(message)
      ? "lock_timeout"
      : undefined;
  if (!timeout) return `${message}: an administrator cancelled it (pg_cancel_backend)`;
  return (
    `${message}: the server's ${timeout}, set for this user or database, ended a statement of the sync ` +
    `(a page's merge, or a wait for another sync's turn); raise it for Sluice's user: ALTER ROLE ${user} SET ${timeout} = '10min' (or 0 for none)`
  );
}

function reasonOf(code: string, message: string, client: pg.Client | undefined): string {
  if (UNTRUSTED_CERTIFICATE.has(code))
    return (
      `the server's certificate is not trusted (${message}): give the certificate of the authority that signed it ` +
      "with sslrootcert=<file> in the URL or PGSSLROOTCERT, or use sslmode=require to encrypt without checking it"
    );
  switch (code) {
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return (
        `the server's certificate is for another host name (${message}): connect by a name the certificate holds, ` +
        "or use sslmode=verify-ca to check the certificate but not the name"
      );
    case "CERT_HAS_EXPIRED":
      return `the server's certificate has expired (${message})`;
    case "CERT_REVOKED":
      return `the server's certificate is revoked: the revocation list in sslcrl or sslcrldir names it (${message})`;
    case "UNABLE_TO_GET_CRL":
      return `no revocation list in sslcrl or sslcrldir is from the authority of the server's certificate (${message})`;
    case "ECONNREFUSED":
      return "connection refused: is the server running and listening there?";
    case "ENOENT":
      return "no server socket there: is the server running?";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name does not resolve";
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
      return "the server cannot be reached (timed out)";
    case "28P01":
      return `${message}; give the password with PGPASSWORD or ~/.pgpass`;
    case "28000":
      if (/no encryption/.test(message))
        return `${message}: pg_hba.conf takes no unencrypted connection from here; where the server offers TLS, leave sslmode out or use sslmode=allow, prefer or require`;
      if (/client certificate/.test(message))
        return `${message}: give it with sslcert and sslkey (or PGSSLCERT and PGSSLKEY, or as ~/.postgresql/postgresql.crt and postgresql.key)`;
      return `${message} (the server's pg_hba.conf refuses this connection)`;
    case "3D000":
      return `${message}: create it first (createdb ${client?.database ?? "<name>"}) or name another in --db`;
    case "42501":
      return `${message}: Sluice needs CREATE on its schema (GRANT CREATE ON SCHEMA <schema> TO ${client?.user ?? "<user>"})`;
    case READ_ONLY_TRANSACTION:
      return (
        `${message}: the server or its session takes no writes (a standby, a primary a failover demoted, ` +
        `or default_transaction_read_only); ${NAME_THE_PRIMARY}`
      );
    case "57014":
      return cancelReason(message, client);
    case "57P01":
      return `the server ended the session (${message}): it is shutting down, or an administrator ended it`;
    case "57P02":
    case "57P03":
      return `the server is shutting down or starting up (${message})`;
    default:
      if (NO_TLS_ON_SERVER.test(message))
        return `${message}: sslmode asks for TLS; use sslmode=prefer to connect unencrypted where the server offers no TLS, or disable`;
      if (CONNECTION_BROKE.test(message)) return `the connection was lost (${message})`;
      if (/timeout expired/i.test(message)) return "connecting timed out: is the server reachable?";
      return message;
  }
}

/**
 * Connecting to PostgreSQL, for the store and anything else keeping data
 * there (the server's metadata): a URL whose missing parts come from the
 * standard PG* environment variables, a password from the URL, PGPASSWORD or
 * ~/.pgpass (node-postgres reads them all), and failures turned into errors
 * that name the server and say why — never showing the password.
 */
import pg from "pg";
import { SluiceError } from "../../errors.js";
import { quoteIdentifier } from "../naming.js";
import { StoreError } from "../types.js";

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

const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 && format !== "binary"
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Where a client is connecting, for messages: host:port, database and user as resolved from the URL and PG* variables. */
export function describeServer(client: pg.Client): string {
  const host = client.host?.startsWith("/") ? `socket ${client.host}` : `${client.host}:${client.port}`;
  return `PostgreSQL at ${host} (database "${client.database}", user "${client.user}")`;
}

/** A connected client, or an error naming the server and the reason. */
export async function connectPostgres(
  target: PostgresTarget,
  options: { applicationName?: string; connectTimeoutMs?: number; types?: pg.CustomTypesConfig } = {},
): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: target.url,
    application_name: options.applicationName ?? "sluice",
    connectionTimeoutMillis: options.connectTimeoutMs ?? 15_000,
    types: options.types ?? TYPES,
  });
  // A server that goes away between queries emits 'error' on the client; the next query fails with it.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw postgresError(target.display, client, error);
  }
  return client;
}

/**
 * A pool for what keeps its own tables beside the store's (the server's
 * metadata, its data browser): the store's types, every connection's
 * `search_path` set to `schema`, and read-only when asked. Connection
 * failures surface on the first query; connect with connectPostgres first
 * for an error that names the server.
 */
export function postgresPool(
  target: PostgresTarget,
  options: { schema: string; readOnly?: boolean; applicationName?: string; max?: number },
): pg.Pool {
  const settings = [`-c search_path=${quoteIdentifier(options.schema).replaceAll(" ", "\\ ")}`];
  if (options.readOnly) settings.push("-c default_transaction_read_only=on");
  const pool = new pg.Pool({
    connectionString: target.url,
    application_name: options.applicationName ?? "sluice",
    connectionTimeoutMillis: 15_000,
    max: options.max ?? 4,
    types: TYPES,
    options: settings.join(" "),
  });
  // An idle client whose server went away emits 'error' on the pool; the next query fails with it.
  pool.on("error", () => {});
  return pool;
}

interface PgLikeError {
  code?: string;
  message?: string;
  errno?: number;
}

/** A failure of PostgreSQL (or of reaching it) as a StoreError that says where and why. */
export function postgresError(display: string, client: pg.Client | undefined, error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  const server = client ? describeServer(client) : display;
  const { code = "", message = String(error) } = (error ?? {}) as PgLikeError;
  const reason = reasonOf(code, message, client);
  return new StoreError(display, `${server}: ${reason}`, error, codeOf(code, message));
}

function codeOf(code: string, message: string): "STORE_FAILED" | "STORE_UNREACHABLE" | "STORE_AUTH_FAILED" {
  if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENOENT"].includes(code))
    return "STORE_UNREACHABLE";
  if (code === "28P01" || code === "28000" || /client password must be a string/i.test(message))
    return "STORE_AUTH_FAILED";
  return "STORE_FAILED";
}

function reasonOf(code: string, message: string, client: pg.Client | undefined): string {
  switch (code) {
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
      return `${message} (the server's pg_hba.conf refuses this connection)`;
    case "3D000":
      return `${message}: create it first (createdb ${client?.database ?? "<name>"}) or name another in --db`;
    case "42501":
      return `${message}: Sluice needs CREATE on its schema (GRANT CREATE ON SCHEMA <schema> TO ${client?.user ?? "<user>"})`;
    case "57P01":
    case "57P02":
    case "57P03":
      return `the server is shutting down or starting up (${message})`;
    default:
      if (/client password must be a string|password authentication/i.test(message))
        return "the server asks for a password and none was given: set PGPASSWORD or add it to ~/.pgpass";
      if (/Connection terminated|ECONNRESET/i.test(message)) return `the connection was lost (${message})`;
      if (/timeout expired/i.test(message)) return "connecting timed out: is the server reachable?";
      return message;
  }
}

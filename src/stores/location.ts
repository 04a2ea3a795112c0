/**
 * What `--db` names: a SQLite file (the default; `sqlite:<file>` also),
 * `postgres://…` or `postgresql://…`, or `duckdb:<file>`. A PostgreSQL URL is
 * only ever shown without its password; a password inside it is allowed but
 * flagged, since a command line shows in `ps` (PGPASSWORD and ~/.pgpass are
 * the documented ways to give one).
 */
import { resolve } from "node:path";
import type { StoreKind } from "./types.js";

export type StoreLocation =
  | { kind: "sqlite"; file: string }
  | { kind: "duckdb"; file: string }
  | {
      kind: "postgres";
      /** The URL as given, password included: for the driver only, never for messages. */
      url: string;
      /** The URL without its password, for messages and logs. */
      display: string;
      passwordInUrl: boolean;
    };

const POSTGRES_SCHEMES = ["postgres://", "postgresql://"];
const DUCKDB_PREFIX = "duckdb:";
const SQLITE_PREFIX = "sqlite:";

export function parseStoreLocation(text: string): StoreLocation {
  if (POSTGRES_SCHEMES.some((scheme) => text.startsWith(scheme))) return postgresLocation(text);
  if (text.startsWith(DUCKDB_PREFIX)) return { kind: "duckdb", file: fileOf(text.slice(DUCKDB_PREFIX.length)) };
  if (text.startsWith(SQLITE_PREFIX)) return { kind: "sqlite", file: fileOf(text.slice(SQLITE_PREFIX.length)) };
  return { kind: "sqlite", file: fileOf(text) };
}

/** Whether `text` names a store (rather than, say, a connector to run as a destination). */
export function isStoreLocation(text: string): boolean {
  return (
    POSTGRES_SCHEMES.some((scheme) => text.startsWith(scheme)) ||
    text.startsWith(DUCKDB_PREFIX) ||
    text.startsWith(SQLITE_PREFIX)
  );
}

export function storeKindOf(text: string): StoreKind {
  return parseStoreLocation(text).kind;
}

const fileOf = (path: string): string => (path === ":memory:" ? path : resolve(path));

function postgresLocation(url: string): StoreLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: "postgres", url, display: redactPassword(url), passwordInUrl: /:[^@/]*@/.test(url) };
  }
  const passwordInUrl = parsed.password !== "" || parsed.searchParams.has("password");
  parsed.password = "";
  parsed.searchParams.delete("password");
  return { kind: "postgres", url, display: parsed.toString(), passwordInUrl };
}

/** A URL's password replaced, for URLs the WHATWG parser refuses. */
function redactPassword(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, "$1@").replace(/([?&])password=[^&]*&?/, "$1");
}

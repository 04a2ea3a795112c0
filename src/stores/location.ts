/**
 * What `--db` names: a SQLite file (the default; `sqlite:<file>` also),
 * `postgres://…` or `postgresql://…`, or `duckdb:<file>`. A PostgreSQL URL is
 * only ever shown without its password; a password inside it is allowed but
 * flagged, since a command line shows in `ps` (PGPASSWORD and ~/.pgpass are
 * the documented ways to give one). Any other URL is refused rather than
 * taken for a file name, and so are a file holding the other kind of database,
 * a folder and no name at all.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { nearestName } from "../spelling.js";
import { type StoreKind, StoreLocationError } from "./types.js";

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

/** A URL's scheme, as in mysql://…: never a file name (sqlite: and duckdb: are followed by a path instead). */
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

const KNOWN_FORMS = "a SQLite file is named by its path, PostgreSQL as postgres://…, DuckDB as duckdb:<file>";

export function parseStoreLocation(text: string): StoreLocation {
  if (POSTGRES_SCHEMES.some((scheme) => text.startsWith(scheme))) return postgresLocation(text);
  const scheme = URL_SCHEME.exec(text)?.[1];
  // Only the scheme is shown: the rest of an unknown URL may hold a password.
  if (scheme)
    throw new StoreLocationError(
      `store "${scheme}://…" is none Sluice knows: ${KNOWN_FORMS} (duckdb:data/analytics.duckdb)`,
    );
  if (text.startsWith(DUCKDB_PREFIX)) return { kind: "duckdb", file: fileNamedBy(text, DUCKDB_PREFIX) };
  if (text.startsWith(SQLITE_PREFIX)) return { kind: "sqlite", file: fileNamedBy(text, SQLITE_PREFIX) };
  return { kind: "sqlite", file: fileNamedBy(text, "") };
}

/** The file after a prefix; none at all would otherwise resolve to the working folder itself. */
function fileNamedBy(text: string, prefix: string): string {
  const path = text.slice(prefix.length);
  if (path.trim() === "")
    throw new StoreLocationError(`store "${text}" names no file: ${KNOWN_FORMS} (duckdb:data/analytics.duckdb)`);
  return fileOf(path);
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
    const passwordInUrl = /:[^@/]*@/.test(url) || /[?&](?:ssl)?password=/.test(url);
    return { kind: "postgres", url, display: redactPassword(url), passwordInUrl };
  }
  // A misspelt one too (pasword=…): the error refusing it shows the URL.
  const secrets = [...new Set(parsed.searchParams.keys())].filter((name) => nearestName(name, SECRET_SETTINGS));
  const passwordInUrl = parsed.password !== "" || secrets.length > 0;
  parsed.password = "";
  // Deleting re-encodes the whole query, so only when there is a password in it to hide.
  for (const name of secrets) parsed.searchParams.delete(name);
  return { kind: "postgres", url, display: parsed.toString(), passwordInUrl };
}

/** The URL's query settings that hold a secret: the password, and libpq's passphrase of the client key. */
const SECRET_SETTINGS = ["password", "sslpassword"] as const;

/** A URL's password replaced, for URLs the WHATWG parser refuses. */
function redactPassword(url: string): string {
  return url
    .replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, "$1@")
    .replace(/(?<=[?&])(?:ssl)?password=[^&]*(?:&|$)/g, "");
}

/** The kind of database a file holds, by its header; undefined when it is missing, empty or neither. */
export function databaseFileKind(file: string): "sqlite" | "duckdb" | undefined {
  const header = Buffer.alloc(16);
  let length: number;
  try {
    const fd = openSync(file, "r");
    try {
      length = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined; // missing, a folder, unreadable: the store's own open says what is wrong
  }
  if (length === 16 && header.toString("latin1") === "SQLite format 3\0") return "sqlite";
  if (length >= 12 && header.toString("latin1", 8, 12) === "DUCK") return "duckdb";
  return undefined;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // missing or unreadable: the store's own open says what is wrong
  }
}

/**
 * Refuses a file that holds the other kind of database than the location names: DuckDB would
 * otherwise try to fetch its SQLite extension from the network, and SQLite says only "file is not a
 * database".
 */
export function checkDatabaseFile(location: StoreLocation): void {
  if (location.kind === "postgres" || location.file === ":memory:") return;
  const named = location.kind === "duckdb" ? `duckdb:${location.file}` : location.file;
  if (isFolder(location.file))
    throw new StoreLocationError(
      `store ${named}: that is a folder; name a database file in it, as ${join(named, `sluice.${location.kind === "duckdb" ? "duckdb" : "db"}`)}`,
    );
  const held = databaseFileKind(location.file);
  if (held === undefined || held === location.kind) return;
  const rightly = held === "duckdb" ? `duckdb:${location.file}` : location.file;
  const kinds = { sqlite: "SQLite", duckdb: "DuckDB" };
  throw new StoreLocationError(
    `store ${named}: the file is a ${kinds[held]} database, not ${kinds[location.kind]}; name it as ${rightly}`,
  );
}

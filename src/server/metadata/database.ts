/**
 * A Kysely database on a store's location: a SQLite file (WAL, owner-only
 * when created) or PostgreSQL in the store's schema (the stores' own
 * connection handling: errors that name the server, the password never
 * shown), and, for the data browser only, a DuckDB file. The server's
 * metadata and its data browser open databases here and nowhere else.
 */
import BetterSqlite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { StoreLocation } from "../../stores/location.js";
import {
  connectionFailure,
  connectListed,
  holdSchema,
  postgresError,
  type PostgresTarget,
} from "../../stores/postgres/connection.js";
import { postgresPool } from "../../stores/postgres/pool.js";
import { DEFAULT_SCHEMA } from "../../stores/postgres/store.js";
import { BUSY_TIMEOUT_MS, useWal } from "../../stores/sqlite/page-runner.js";
import { sqliteBusy } from "../../stores/sqlite/store.js";
import { StoreNotFoundError } from "../../stores/types.js";
import { SluiceError } from "../../errors.js";
import { duckDbDialect } from "./duckdb-dialect.js";
import type { DialectName } from "./migrations.js";

/** A database the data browser reads: the server's own, or a connection's destination. */
export interface BrowsedDatabase<Schema> {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName | "duckdb";
  /** Where it lives, for messages (a path, or a URL without its password). */
  readonly location: string;
  /**
   * PostgreSQL: the schema of every table, which statements name (Kysely's withSchema does for its
   * query builder; raw SQL names it itself): nothing rests on a search_path (see postgresPool).
   */
  readonly schema: string | undefined;
  /**
   * A failure of a query as the error to report: PostgreSQL out of reach (down, the network, the
   * password) names the server and why, where the driver says only "connect ECONNREFUSED" or
   * "Connection terminated"; a SQLite file locked by another process says so (STORE_BUSY); any
   * other error is returned as it is.
   */
  explain(error: unknown): unknown;
  close(): Promise<void>;
}

/** A SQLite or PostgreSQL database, which also keeps the server's own tables. */
export interface OpenedDatabase<Schema> extends BrowsedDatabase<Schema> {
  readonly dialect: DialectName;
}

export interface OpenDatabaseOptions {
  /**
   * Only read: create nothing (a missing SQLite file or PostgreSQL schema is an error). A SQLite file
   * opens read-only; PostgreSQL's readers read in read-only transactions (see DataReader).
   */
  readOnly?: boolean;
  /** PostgreSQL: the schema (default: the store's, "sluice"). */
  schema?: string;
}

export async function openDatabase<Schema>(
  location: Exclude<StoreLocation, { kind: "duckdb" }>,
  options: OpenDatabaseOptions,
): Promise<OpenedDatabase<Schema>> {
  if (location.kind === "sqlite") {
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: openSqlite(location.file, options) }) });
    return {
      db,
      dialect: "sqlite",
      location: location.file,
      schema: undefined,
      explain: (error) => sqliteBusy(location.file, error) ?? error,
      close: () => db.destroy(),
    };
  }
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const writes = !(options.readOnly ?? false);
  const server = await ensureSchema(location, schema, writes);
  // Where the URL lists a cluster's servers, the pool starts on the one reached here, and follows a failover.
  const pool = postgresPool(location, { applicationName: "sluice server", writes, server });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }).withSchema(schema);
  const shown = `${location.display}${schema === DEFAULT_SCHEMA ? "" : ` (schema ${schema})`}`;
  return {
    db,
    dialect: "postgres",
    location: shown,
    schema,
    explain: (error) => connectionFailure(shown, error) ?? error,
    close: () => db.destroy(),
  };
}

function openSqlite(file: string, options: OpenDatabaseOptions): BetterSqlite.Database {
  if (options.readOnly) {
    if (!existsSync(file)) throw new StoreNotFoundError(file, "no such file");
    return new BetterSqlite(file, { readonly: true });
  }
  mkdirSync(dirname(file), { recursive: true });
  // Created owner-only: the database holds token hashes and encrypted secrets.
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  const database = new BetterSqlite(file);
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  useWal(database);
  database.pragma("foreign_keys = ON");
  return database;
}

/**
 * Reaches the server (an error naming it and why, otherwise) and makes the schema when missing and
 * `writes` allows; returns which server of the URL's list it reached.
 */
async function ensureSchema(
  location: Extract<StoreLocation, { kind: "postgres" }>,
  schema: string,
  writes: boolean,
): Promise<PostgresTarget> {
  const { client, server } = await connectListed(location, { applicationName: "sluice server", writes });
  try {
    await client.query("BEGIN");
    // Under the lock the stores take: a server and its workers starting together create the schema once.
    if (!(await holdSchema(client, schema, writes)))
      throw new StoreNotFoundError(location.display, `schema "${schema}" does not exist`);
    await client.query("COMMIT");
    return server;
  } catch (error) {
    throw postgresError(location.display, client, error);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A DuckDB destination for the data browser, on the file's one instance in this process (shared with
 * the syncs writing it), to be closed after each use: held open, it would keep every other process
 * out of the file. A missing file is a StoreNotFoundError; one another process holds, STORE_BUSY.
 */
export async function openDuckDbForBrowsing(
  location: Extract<StoreLocation, { kind: "duckdb" }>,
): Promise<BrowsedDatabase<unknown>> {
  if (!existsSync(location.file)) throw new StoreNotFoundError(`duckdb:${location.file}`, "the file does not exist");
  const { DuckDbStore } = await import("../../stores/duckdb/store.js");
  const store = await DuckDbStore.open(location.file);
  const db = new Kysely<unknown>({ dialect: duckDbDialect(store) });
  return {
    db,
    dialect: "duckdb",
    location: store.location,
    schema: "main",
    explain: (error) => {
      const failure = store.wrap(error);
      return failure instanceof SluiceError && failure.code === "STORE_BUSY" ? failure : error;
    },
    close: () => db.destroy(),
  };
}

/**
 * src/server/data — reading what syncs wrote: a connection's tables page by
 * page, and a search for a value across every connection's tables (c1-core's
 * purpose: find an object whatever source it came from), with the record's
 * link (`uri`) where it has one. Only tables the store registered for a
 * connection are ever read, never the server's own tables.
 *
 * May import: src/server/metadata, src/server/connections, src/errors.ts.
 */
import { type Kysely, sql } from "kysely";
import { parseStoreLocation, type StoreLocation } from "../../stores/location.js";
import { StoreNotFoundError } from "../../stores/types.js";
import type { Connection } from "../connections/service.js";
import { type BrowsedDatabase, openDatabase, type OpenedDatabase, openDuckDbForBrowsing } from "../metadata/index.js";
import { ServerError } from "../errors.js";

export interface TableInfo {
  stream: string;
  table: string;
  primaryKey: string[];
  rows: number;
}

export interface RowsPage {
  table: string;
  columns: string[];
  rows: Record<string, unknown>[];
  total: number;
  offset: number;
  limit: number;
}

export interface SearchHit {
  connectionId: number;
  connection: string;
  stream: string;
  table: string;
  /** The record's primary key values. */
  key: Record<string, unknown>;
  record: Record<string, unknown>;
  /** Columns whose value matched. */
  matched: string[];
  /** The record's link in its source, when it has one. */
  uri: string | null;
}

/** Columns Sluice adds to every table; not part of a record. */
const BOOKKEEPING = /^_sluice_/;
/** Columns that hold a record's link, in order of preference. */
const LINK_COLUMNS = ["uri", "url", "html_url", "link", "permalink"];

// Data tables have no static shape: they are read with raw SQL and quoted identifiers.
// biome-ignore lint/suspicious/noExplicitAny: tables made by syncs, not known at compile time
type AnyDb = Kysely<any>;

/**
 * Reads each connection's data where its syncs wrote it: the server's own database, or the
 * connection's destination. A SQLite or PostgreSQL destination is opened read-only, once, when
 * first needed; a DuckDB file for each call only, on this process's instance of it (held open, it
 * would keep other processes out). A destination not written yet has no tables.
 */
export class DataAccess {
  private readonly destinations = new Map<string, { reader: DataReader; database: OpenedDatabase<unknown> }>();
  private readonly mainKey: string;

  constructor(
    private readonly main: DataReader,
    /** The server's database as `--db` names it. */
    mainStore: string,
  ) {
    this.mainKey = storeKey(parseStoreLocation(mainStore));
  }

  async tables(connection: Connection): Promise<TableInfo[]> {
    return (await this.withReader(connection, (reader) => reader.tables(connection))) ?? [];
  }

  async rows(connection: Connection, table: string, offset: number, limit: number): Promise<RowsPage> {
    const page = await this.withReader(connection, (reader) => reader.rows(connection, table, offset, limit));
    if (!page) throw noTable(connection, table);
    return page;
  }

  async search(connections: Connection[], text: string, limit: number): Promise<SearchHit[]> {
    const hits: SearchHit[] = [];
    for (const connection of connections) {
      if (hits.length >= limit) break;
      const found = await this.withReader(connection, (reader) =>
        reader.search([connection], text, limit - hits.length),
      );
      hits.push(...(found ?? []));
    }
    return hits;
  }

  async close(): Promise<void> {
    for (const { database } of this.destinations.values()) await database.close();
    this.destinations.clear();
  }

  /** Runs `read` on the reader of the connection's destination; undefined while nothing has been written there. */
  private async withReader<T>(
    connection: Connection,
    read: (reader: DataReader) => Promise<T>,
  ): Promise<T | undefined> {
    if (!connection.destination) return read(this.main);
    const location = parseStoreLocation(connection.destination);
    if (location.kind === "duckdb") {
      const database = await unlessMissing(() => openDuckDbForBrowsing(location));
      if (!database) return undefined;
      try {
        return await read(new DataReader(database));
      } finally {
        await database.close();
      }
    }
    const reader = await this.readerOf(location);
    return reader && read(reader);
  }

  private async readerOf(location: Exclude<StoreLocation, { kind: "duckdb" }>): Promise<DataReader | undefined> {
    const key = storeKey(location);
    if (key === this.mainKey) return this.main;
    const open = this.destinations.get(key);
    if (open) return open.reader;
    const database = await unlessMissing(() => openDatabase<unknown>(location, { readOnly: true }));
    if (!database) return undefined;
    const reader = new DataReader(database);
    this.destinations.set(key, { reader, database });
    return reader;
  }
}

/** What `open` opens, or undefined when the store does not exist (yet). */
async function unlessMissing<T>(open: () => Promise<T>): Promise<T | undefined> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof StoreNotFoundError) return undefined;
    throw error;
  }
}

/** One key per store, however its location is written. */
function storeKey(location: StoreLocation): string {
  return location.kind === "postgres" ? `postgres:${location.url}` : `${location.kind}:${location.file}`;
}

function noTable(connection: Connection, table: string): ServerError {
  return new ServerError(
    "TABLE_NOT_FOUND",
    `connection "${connection.name}" has no table "${table}" (see its tables list)`,
    "table",
  );
}

/**
 * Reads a store's data tables. On PostgreSQL each call is one read-only transaction, and every table
 * is named with its schema: behind a pooler in transaction mode, no session setting would follow.
 */
export class DataReader {
  private readonly dialect: BrowsedDatabase<unknown>["dialect"];
  private readonly schema: string | undefined;
  private readonly db: AnyDb;

  private readonly explain: (error: unknown) => unknown;

  constructor(database: Pick<BrowsedDatabase<unknown>, "dialect" | "schema" | "explain"> & { db: AnyDb }) {
    this.db = database.db;
    this.dialect = database.dialect;
    this.schema = database.schema;
    this.explain = database.explain;
  }

  tables(connection: Connection): Promise<TableInfo[]> {
    return this.reading(async (db) => {
      const tables: TableInfo[] = [];
      for (const entry of await this.registered(db, connection.name)) {
        if (!(await this.exists(db, entry.table))) continue;
        const { rows } = await sql<{
          n: number | string;
        }>`SELECT count(*) AS n FROM ${this.table(entry.table)}`.execute(db);
        tables.push({ ...entry, rows: Number(rows[0]?.n ?? 0) });
      }
      return tables;
    });
  }

  rows(connection: Connection, table: string, offset: number, limit: number): Promise<RowsPage> {
    return this.reading(async (db) => {
      const entry = (await this.registered(db, connection.name)).find((t) => t.table === table);
      if (!entry || !(await this.exists(db, table))) throw noTable(connection, table);
      const columns = await this.columns(db, table);
      const order = entry.primaryKey.length ? entry.primaryKey : columns.slice(0, 1);
      const { rows } = await sql<Record<string, unknown>>`SELECT ${sql.join(columns.map((c) => sql.id(c)))}
        FROM ${this.table(table)} ORDER BY ${sql.join(order.map((c) => sql.id(c)))} LIMIT ${limit} OFFSET ${offset}`.execute(
        db,
      );
      const count = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ${this.table(table)}`.execute(db);
      return { table, columns, rows: rows.map(plain), total: Number(count.rows[0]?.n ?? 0), offset, limit };
    });
  }

  /** Records whose any column contains `text` (case-insensitive), across the given connections' tables. */
  search(connections: Connection[], text: string, limit: number): Promise<SearchHit[]> {
    return this.reading((db) => this.searchIn(db, connections, text, limit));
  }

  private async searchIn(db: AnyDb, connections: Connection[], text: string, limit: number): Promise<SearchHit[]> {
    const hits: SearchHit[] = [];
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    for (const connection of connections) {
      for (const entry of await this.registered(db, connection.name)) {
        if (hits.length >= limit) return hits;
        if (!(await this.exists(db, entry.table))) continue;
        const columns = await this.columns(db, entry.table);
        if (columns.length === 0) continue;
        const matches = columns.map((c) => this.contains(c, pattern));
        const { rows } = await sql<Record<string, unknown>>`SELECT ${sql.join(columns.map((c) => sql.id(c)))}
          FROM ${this.table(entry.table)} WHERE ${sql.join(matches, sql` OR `)} LIMIT ${limit - hits.length}`.execute(
          db,
        );
        const needle = text.toLowerCase();
        for (const raw of rows) {
          const record = plain(raw);
          hits.push({
            connectionId: connection.id,
            connection: connection.name,
            stream: entry.stream,
            table: entry.table,
            key: Object.fromEntries(entry.primaryKey.map((k) => [k, record[k]])),
            record,
            matched: columns.filter((c) => record[c] !== null && String(record[c]).toLowerCase().includes(needle)),
            uri: linkOf(record),
          });
        }
      }
    }
    return hits;
  }

  private contains(column: string, pattern: string) {
    return this.dialect === "sqlite"
      ? sql`${sql.id(column)} LIKE ${pattern} ESCAPE '\\'`
      : sql`CAST(${sql.id(column)} AS TEXT) ILIKE ${pattern} ESCAPE '\\'`;
  }

  /**
   * Runs a call's reads: on PostgreSQL in one read-only transaction (a SQLite destination opens
   * read-only). A destination out of reach is said to be, naming it (see OpenedDatabase.explain).
   */
  private async reading<T>(read: (db: AnyDb) => Promise<T>): Promise<T> {
    try {
      return this.dialect === "postgres"
        ? await this.db.transaction().setAccessMode("read only").execute(read)
        : await read(this.db);
    } catch (error) {
      throw this.explain(error);
    }
  }

  /** A table, named with its schema on PostgreSQL. */
  private table(name: string) {
    return this.schema === undefined ? sql.id(name) : sql.id(this.schema, name);
  }

  /** The tables the store registered for a connector (its _sluice_tables, which the next write migrates older stores to). */
  private async registered(
    db: AnyDb,
    connector: string,
  ): Promise<{ stream: string; table: string; primaryKey: string[] }[]> {
    if (!(await this.exists(db, "_sluice_tables"))) return [];
    // primary_key: JSON text in SQLite, jsonb (already parsed) in PostgreSQL.
    const { rows } = await sql<{ stream: string; table_name: string; primary_key: string | string[] }>`
      SELECT stream, table_name, primary_key FROM ${this.table("_sluice_tables")} WHERE connector = ${connector}
       ORDER BY stream`.execute(db);
    return rows.map((r) => ({
      stream: r.stream,
      table: r.table_name,
      primaryKey: typeof r.primary_key === "string" ? (JSON.parse(r.primary_key) as string[]) : r.primary_key,
    }));
  }

  private async exists(db: AnyDb, table: string): Promise<boolean> {
    const { rows } =
      this.schema !== undefined
        ? await sql`SELECT 1 FROM information_schema.tables WHERE table_name = ${table} AND table_schema = ${this.schema}`.execute(
            db,
          )
        : await sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ${table}`.execute(db);
    return rows.length > 0;
  }

  private async columns(db: AnyDb, table: string): Promise<string[]> {
    const { rows } =
      this.schema !== undefined
        ? await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
            WHERE table_name = ${table} AND table_schema = ${this.schema} ORDER BY ordinal_position`.execute(db)
        : await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(db);
    return rows.map((r) => r.name).filter((name) => !BOOKKEEPING.test(name));
  }
}

/** A row as JSON can carry it: big integers as text, bytes as base64 (timestamps, as Dates, as ISO 8601). */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] =
      typeof value === "bigint"
        ? value.toString()
        : value instanceof Uint8Array
          ? Buffer.from(value).toString("base64")
          : value;
  }
  return out;
}

function linkOf(record: Record<string, unknown>): string | null {
  for (const column of LINK_COLUMNS) {
    const value = record[column];
    if (typeof value === "string" && /^(https?|file|s3|gs):\/\//i.test(value)) return value;
  }
  return null;
}

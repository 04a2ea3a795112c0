/**
 * Reading a store's tables with SELECT statements, for what serves the store
 * to other systems (Qlik GetData): read-only (a read-only connection or
 * transaction, so a statement cannot write), rows in batches so a table of
 * any size streams in bounded memory, and each result column's database type
 * and whether it is part of the table's primary key. Sluice's own tables
 * (state with sealed configs, the sync log, staging tables, the server's
 * tokens and sessions) and the database's catalog are not data: a reader
 * neither lists them nor lets a statement read them, by name or through a
 * subquery, a join or a view (each reader checks what its database plans to
 * read, where it can tell).
 */
import { SluiceError } from "../errors.js";
import { checkDatabaseFile, parseStoreLocation } from "./location.js";

export interface ResultColumn {
  name: string;
  /** The database's type name (SQLite: the declared type), or null when it has none. */
  type: string | null;
  /** Whether the column is one of the table's primary key columns. */
  key: boolean;
}

export interface SelectResult {
  columns: ResultColumn[];
  /** Batches of rows: bigints for big integers, text for timestamps (ISO 8601) and JSON. */
  batches: AsyncIterable<unknown[][]>;
}

export interface StoreReader {
  readonly location: string;
  /** Table and view names, for messages; never a meta table. */
  tables(): Promise<string[]>;
  /** The name of the table or view called `name` (case-insensitively), if any and not a meta table. */
  findTable(name: string): Promise<string | undefined>;
  /**
   * `SELECT <columns> FROM <table> <rest>`; `*` stands for the table's
   * columns without Sluice's own (_sluice_sync_id, _sluice_version).
   */
  select(table: string, columns: string, rest: string): Promise<SelectResult>;
  close(): Promise<void>;
}

/** The statement itself is refused by the database (syntax, unknown column, a write). */
export class SelectRefusedError extends SluiceError {
  constructor(problem: string) {
    super("QLIK_STATEMENT_INVALID", problem);
  }
}

/** Prefixes of tables that hold no connector's data: Sluice's own, and SQLite's (DuckDB's and PostgreSQL's catalogs live in other schemas). */
export const META_TABLE_PREFIXES = ["_sluice_", "sqlite_"] as const;

export function isMetaTable(name: string): boolean {
  const lower = name.toLowerCase();
  return META_TABLE_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** Refused when a statement would read a meta table, or the database's catalog, however it names it. */
export class MetaTableRead extends SelectRefusedError {
  constructor(what = "Sluice's own tables or the database's catalog") {
    super(`it reads ${what}, which are not served`);
  }
}

/** Rows handed out at a time. */
export const BATCH_ROWS = 512;

/** Columns Sluice writes on every table, left out of `*`. */
export const isBookkeeping = (column: string): boolean => column === "_sluice_sync_id" || column === "_sluice_version";

export async function openStoreReader(location: string, options: { schema?: string } = {}): Promise<StoreReader> {
  const parsed = parseStoreLocation(location);
  checkDatabaseFile(parsed);
  switch (parsed.kind) {
    case "sqlite":
      return (await import("./sqlite/reader.js")).SqliteReader.open(parsed.file);
    case "duckdb":
      return (await import("./duckdb/reader.js")).DuckDbReader.open(parsed.file, options.schema);
    case "postgres":
      return (await import("./postgres/reader.js")).PostgresReader.open(parsed, options.schema);
  }
}

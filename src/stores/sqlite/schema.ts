/** SQL text for the SQLite store: meta tables, column types, the upsert. */
import { quoteIdentifier as quote, SYNC_ID_COLUMN, VERSION_COLUMN } from "../naming.js";
import type { ColumnType } from "../types.js";

export const META_TABLES = `
CREATE TABLE IF NOT EXISTS _sluice_syncs (
  id INTEGER PRIMARY KEY,
  connector TEXT NOT NULL,
  protocol TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  pages INTEGER NOT NULL DEFAULT 0,
  inserted INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  message TEXT,
  error TEXT,
  owner TEXT
);
CREATE TABLE IF NOT EXISTS _sluice_state (
  connector TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  sync_id INTEGER,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS _sluice_tables (
  table_name TEXT PRIMARY KEY COLLATE NOCASE,
  connector TEXT NOT NULL,
  stream TEXT NOT NULL,
  primary_key TEXT NOT NULL,
  number_keys_as_real INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS _sluice_columns (
  table_name TEXT NOT NULL COLLATE NOCASE,
  field TEXT NOT NULL,
  column_name TEXT NOT NULL,
  PRIMARY KEY (table_name, field)
);
`;

/** Saves a connector's state (bound: connector, state, sync id, time). */
export const SAVE_STATE =
  "INSERT INTO _sluice_state (connector, state, sync_id, updated_at) VALUES (?, ?, ?, ?) " +
  "ON CONFLICT (connector) DO UPDATE SET state = excluded.state, sync_id = excluded.sync_id, updated_at = excluded.updated_at";

/** Stores created before the table registry kept one row per stream; their tables are registered once. */
export const MIGRATE_STREAM_REGISTRY = `
INSERT OR IGNORE INTO _sluice_tables (table_name, connector, stream, primary_key, number_keys_as_real)
  SELECT table_name, connector, stream, primary_key, 1 FROM _sluice_streams;
DROP TABLE _sluice_streams;
`;

/**
 * Until 2026-12 a number in a TEXT column was bound as a REAL, which SQLite keeps there as '5.0'. Tables
 * written then keep that form in their text key columns, so a key sent again finds its row; their other
 * text columns take a number's JSON text ('5') from then on, as the next write of each row changes it.
 */
export const MIGRATE_NUMBER_KEYS = `
ALTER TABLE _sluice_tables ADD COLUMN number_keys_as_real INTEGER NOT NULL DEFAULT 0;
UPDATE _sluice_tables SET number_keys_as_real = 1;
`;

/** Until 2026-12 the sync log did not say who ran a sync (see SyncOwner): older entries have none. */
export const MIGRATE_SYNC_OWNER = "ALTER TABLE _sluice_syncs ADD COLUMN owner TEXT;";

/**
 * Declared types, chosen for their affinity: booleans are INTEGER 1/0,
 * timestamps ISO 8601 TEXT; `numeric` and `any` have none (BLOB affinity), so
 * an integer beyond 64 bits stays exact text instead of becoming a REAL.
 */
const declaredTypes: Record<ColumnType, string> = {
  boolean: "INTEGER",
  integer: "INTEGER",
  numeric: "",
  real: "REAL",
  timestamp: "TEXT",
  text: "TEXT",
  json: "TEXT",
  any: "",
};

export function columnDefinition(name: string, type: ColumnType): string {
  return `${quote(name)} ${declaredTypes[type]}`.trim();
}

/** The column type a declared SQLite type stands for. */
export function typeOfDeclared(declared: string): ColumnType {
  switch (declared.toUpperCase()) {
    case "INTEGER":
      return "integer";
    case "REAL":
      return "real";
    case "TEXT":
      return "text";
    default:
      return "any";
  }
}

/**
 * The upsert of one row. An unchanged row is skipped by the WHERE clause;
 * RETURNING gives the version of the row written: 1 for an inserted row (the
 * column's default), higher for an updated one, nothing for an unchanged one.
 */
export function upsertSql(table: string, columns: string[], primaryKey: string[]): string {
  const t = quote(table);
  const insert = insertInto(table, columns);
  const returning = `RETURNING ${quote(VERSION_COLUMN)}`;
  if (primaryKey.length === 0) return `${insert} ${returning}`;
  const conflict = `ON CONFLICT (${primaryKey.map(quote).join(", ")})`;
  const valueColumns = columns.filter((c) => !primaryKey.includes(c));
  if (valueColumns.length === 0) return `${insert} ${conflict} DO NOTHING ${returning}`;
  const assignments = [...valueColumns, SYNC_ID_COLUMN].map((c) => `${quote(c)} = excluded.${quote(c)}`);
  assignments.push(`${quote(VERSION_COLUMN)} = ${t}.${quote(VERSION_COLUMN)} + 1`);
  const changed = valueColumns.map((c) => `${t}.${quote(c)} IS NOT excluded.${quote(c)}`).join(" OR ");
  return `${insert} ${conflict} DO UPDATE SET ${assignments.join(", ")} WHERE ${changed} ${returning}`;
}

/**
 * The insert of one row whose key is new: a row whose key exists is left as
 * it is (no change). Tables have no other constraint that OR IGNORE could
 * skip: data columns take NULL, and Sluice's own have defaults.
 */
export function insertNewSql(table: string, columns: string[]): string {
  return insertInto(table, columns).replace(/^INSERT/, "INSERT OR IGNORE");
}

function insertInto(table: string, columns: string[]): string {
  const all = [...columns, SYNC_ID_COLUMN];
  return `INSERT INTO ${quote(table)} (${all.map(quote).join(", ")}) VALUES (${all.map(() => "?").join(", ")})`;
}

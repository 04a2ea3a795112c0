/**
 * The embedded default store on better-sqlite3: one table per stream, upserts
 * by primary key inside one transaction per page (with the page's state
 * checkpoint), new record fields become new columns, and a sync log.
 * WAL with synchronous=NORMAL: a committed page survives a crash of Sluice or
 * the connector; only a power loss may take back the last commits, and then
 * their checkpoints go with them.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  type ColumnType,
  DELETE,
  RecordError,
  type Row,
  type Store,
  StoreError,
  type SyncLogEntry,
  type SyncOutcome,
  type TableSpec,
  type TableWriter,
  type WriteCounts,
} from "../types.js";
import {
  columnDefinition,
  META_TABLES,
  quote,
  RESET_LAST_INSERT_SQL,
  SENTINEL_ROWID,
  SYNC_ID_COLUMN,
  typeOfValue,
  upsertSql,
  VERSION_COLUMN,
} from "./schema.js";

/** Where a replacing table's rows go until the sync succeeds. */
const STAGING_PREFIX = "_sluice_staging_";

export class SqliteStore implements Store {
  private constructor(
    readonly location: string,
    private readonly db: Database.Database,
  ) {}

  static open(file: string): SqliteStore {
    const location = file === ":memory:" ? file : resolve(file);
    try {
      if (location !== ":memory:") mkdirSync(dirname(location), { recursive: true });
      const db = new Database(location);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      db.exec(META_TABLES);
      return new SqliteStore(location, db);
    } catch (error) {
      throw wrapSqliteError(location, error);
    }
  }

  async openTable(spec: TableSpec): Promise<TableWriter> {
    return this.guard(() => {
      const target = spec.replace ? { ...spec, table: `${STAGING_PREFIX}${spec.table}` } : spec;
      if (spec.replace) this.db.exec(`DROP TABLE IF EXISTS ${quote(target.table)}`);
      const existing = this.existingColumns(target.table);
      if (existing.size === 0) this.createTable(target);
      this.db
        .prepare(
          "INSERT OR REPLACE INTO _sluice_streams (connector, stream, table_name, primary_key) VALUES (?, ?, ?, ?)",
        )
        .run(spec.connector, spec.stream, spec.table, JSON.stringify(spec.primaryKey));
      const table = new SqliteTable(
        this,
        this.db,
        target,
        this.existingColumns(target.table),
        spec.replace ? spec.table : undefined,
      );
      table.addMissingColumns(spec.columns);
      return table;
    });
  }

  async loadState(connector: string): Promise<string> {
    const row = this.db.prepare("SELECT state FROM _sluice_state WHERE connector = ?").get(connector) as
      | { state: string }
      | undefined;
    return row?.state ?? "";
  }

  async saveState(connector: string, state: string, syncId: number): Promise<void> {
    this.guard(() => this.saveStateNow(connector, state, syncId));
  }

  saveStateNow(connector: string, state: string, syncId: number): void {
    this.db
      .prepare(
        "INSERT INTO _sluice_state (connector, state, sync_id, updated_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (connector) DO UPDATE SET state = excluded.state, sync_id = excluded.sync_id, updated_at = excluded.updated_at",
      )
      .run(connector, state, syncId, new Date().toISOString());
  }

  async beginSync(connector: string, protocol: string): Promise<number> {
    return this.guard(() => {
      const result = this.db
        .prepare("INSERT INTO _sluice_syncs (connector, protocol, started_at, status) VALUES (?, ?, ?, 'running')")
        .run(connector, protocol, new Date().toISOString());
      return Number(result.lastInsertRowid);
    });
  }

  async finishSync(id: number, outcome: SyncOutcome): Promise<void> {
    this.guard(() =>
      this.db
        .prepare(
          "UPDATE _sluice_syncs SET finished_at = ?, status = ?, pages = ?, inserted = ?, updated = ?, unchanged = ?, message = ?, error = ? WHERE id = ?",
        )
        .run(
          new Date().toISOString(),
          outcome.status,
          outcome.pages,
          outcome.inserted,
          outcome.updated,
          outcome.unchanged,
          outcome.message ?? null,
          outcome.error ?? null,
          id,
        ),
    );
  }

  async listSyncs(limit: number): Promise<SyncLogEntry[]> {
    const rows = this.db
      .prepare(
        "SELECT id, connector, protocol, started_at AS startedAt, finished_at AS finishedAt, status, pages, inserted, updated, unchanged, message, error " +
          "FROM _sluice_syncs ORDER BY id DESC LIMIT ?",
      )
      .all(limit);
    return rows as SyncLogEntry[];
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Runs `work`, turning SQLite failures into StoreErrors that name the file. */
  guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw error instanceof RecordError ? error : wrapSqliteError(this.location, error);
    }
  }

  existingColumns(table: string): Map<string, ColumnType> {
    const info = this.db.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string; type: string }[];
    return new Map(
      info.map((c) => [
        c.name,
        c.type === "INTEGER" ? "integer" : c.type === "REAL" ? "real" : c.type === "TEXT" ? "text" : "any",
      ]),
    );
  }

  private createTable(spec: TableSpec): void {
    const columns = spec.columns.map((c) => columnDefinition(c.name, c.type));
    for (const key of spec.primaryKey) {
      if (!spec.columns.some((c) => c.name === key)) columns.push(columnDefinition(key, "any"));
    }
    columns.push(`${quote(SYNC_ID_COLUMN)} INTEGER`, `${quote(VERSION_COLUMN)} INTEGER NOT NULL DEFAULT 1`);
    if (spec.primaryKey.length) columns.push(`PRIMARY KEY (${spec.primaryKey.map(quote).join(", ")})`);
    this.db.exec(`CREATE TABLE ${quote(spec.table)} (${columns.join(", ")})`);
  }
}

class SqliteTable implements TableWriter {
  readonly table: string;
  private readonly columnNames: string[];
  private statement: Database.Statement | undefined;
  private deleteStatement: Database.Statement | undefined;
  private readonly resetLastInsert: Database.Statement;
  private readonly writePage: (
    rows: Row[],
    syncId: number,
    checkpoint?: { connector: string; state: string },
  ) => WriteCounts;

  constructor(
    private readonly store: SqliteStore,
    private readonly db: Database.Database,
    private readonly spec: TableSpec,
    existing: Map<string, ColumnType>,
    /** For a staging table: the table it replaces on finish(). */
    private readonly replaces?: string,
  ) {
    this.table = spec.table;
    this.columnNames = [...existing.keys()].filter((c) => c !== SYNC_ID_COLUMN && c !== VERSION_COLUMN);
    this.resetLastInsert = db.prepare(RESET_LAST_INSERT_SQL);
    this.writePage = db.transaction((rows, syncId, checkpoint) => {
      const counts = this.upsertAll(rows, syncId);
      if (checkpoint) store.saveStateNow(checkpoint.connector, checkpoint.state, syncId);
      return counts;
    });
  }

  async write(rows: Row[], syncId: number, checkpoint?: { connector: string; state: string }): Promise<WriteCounts> {
    return this.store.guard(() => {
      this.addColumnsFoundIn(rows);
      return this.writePage(rows, syncId, checkpoint);
    });
  }

  async finish(): Promise<void> {
    const replaces = this.replaces;
    if (replaces === undefined) return;
    this.store.guard(() =>
      this.db.transaction(() => {
        this.db.exec(`DROP TABLE IF EXISTS ${quote(replaces)}`);
        this.db.exec(`ALTER TABLE ${quote(this.table)} RENAME TO ${quote(replaces)}`);
      })(),
    );
  }

  addMissingColumns(columns: { name: string; type: ColumnType }[]): void {
    const known = new Set(this.columnNames);
    for (const column of columns) {
      if (known.has(column.name)) continue;
      this.db.exec(`ALTER TABLE ${quote(this.table)} ADD COLUMN ${columnDefinition(column.name, column.type)}`);
      this.columnNames.push(column.name);
      known.add(column.name);
      this.statement = undefined;
    }
  }

  private addColumnsFoundIn(rows: Row[]): void {
    const known = new Set(this.columnNames);
    let added: { name: string; type: ColumnType }[] | undefined;
    for (const row of rows) {
      for (const key in row) {
        if (known.has(key)) continue;
        known.add(key);
        (added ??= []).push({ name: key, type: typeOfValue(row[key]) });
      }
    }
    if (added) this.addMissingColumns(added);
  }

  private upsertAll(rows: Row[], syncId: number): WriteCounts {
    const statement = (this.statement ??= this.db.prepare(
      upsertSql(this.table, this.columnNames, this.spec.primaryKey),
    ));
    const columns = this.columnNames;
    const width = columns.length;
    const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
    this.resetLastInsert.run();
    let lastInsert: number | bigint = Number(SENTINEL_ROWID);
    // One bind array for the whole page: better-sqlite3 copies the values when binding.
    const values = new Array(width + 1);
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index];
      if (row === null || typeof row !== "object" || Array.isArray(row)) {
        throw new RecordError(
          this.spec.stream,
          index,
          `expected a JSON object, got ${JSON.stringify(row)?.slice(0, 80)}`,
        );
      }
      this.checkKey(row, index);
      if ((row as Record<symbol, unknown>)[DELETE] === true) {
        counts.deleted = (counts.deleted ?? 0) + this.deleteRow(row, index);
        continue;
      }
      for (let c = 0; c < width; c++) values[c] = toSqlValue(row[columns[c]]);
      values[width] = syncId;
      const { changes, lastInsertRowid } = statement.run(values);
      if (changes === 0) counts.unchanged++;
      else if (lastInsertRowid !== lastInsert) {
        counts.inserted++;
        lastInsert = lastInsertRowid;
      } else counts.updated++;
    }
    return counts;
  }

  private deleteRow(row: Row, index: number): number {
    const key = this.spec.primaryKey;
    if (!key.length)
      throw new RecordError(this.spec.stream, index, "a delete needs a primary key, and this stream has none");
    this.deleteStatement ??= this.db.prepare(
      `DELETE FROM ${quote(this.table)} WHERE ${key.map((c) => `${quote(c)} = ?`).join(" AND ")}`,
    );
    return this.deleteStatement.run(key.map((c) => toSqlValue(row[c]))).changes;
  }

  private checkKey(row: Row, index: number): void {
    for (const key of this.spec.primaryKey) {
      const value = row[key];
      if (value === null || value === undefined) {
        throw new RecordError(
          this.spec.stream,
          index,
          `primary key field "${key}" is missing (key: ${this.spec.primaryKey.join(", ")})`,
        );
      }
    }
  }
}

function toSqlValue(value: unknown): unknown {
  switch (typeof value) {
    case "string":
    case "number":
    case "bigint":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "undefined":
      return null;
    default:
      return value === null ? null : JSON.stringify(value);
  }
}

function wrapSqliteError(location: string, error: unknown): StoreError {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  if (code === "SQLITE_FULL")
    return new StoreError(
      location,
      "the disk is full; nothing of the failed page was written, earlier pages are kept",
      error,
    );
  if (code === "SQLITE_BUSY") return new StoreError(location, "the database is locked by another process", error);
  if (code.startsWith("SQLITE_CANTOPEN"))
    return new StoreError(location, "cannot open the database file (check the path and permissions)", error);
  if (code === "SQLITE_READONLY") return new StoreError(location, "the database is read-only", error);
  return new StoreError(location, message, error);
}

/**
 * The embedded default store on better-sqlite3: one table per stream, upserts
 * by primary key inside one transaction per page (with the page's state
 * checkpoint), new record fields become new columns, and a sync log.
 * WAL with synchronous=NORMAL: a committed page survives a crash of Sluice or
 * the connector; only a power loss may take back the last commits, and then
 * their checkpoints go with them. Checkpoints marked durable (the caller
 * releases upstream data next) commit with synchronous=FULL: fsynced first.
 * The file is created on the first write, so a command that fails before
 * writing leaves no database behind.
 */
import Database from "better-sqlite3";
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  BaseStore,
  BaseTableWriter,
  type Column,
  isDeletion,
  Misfit,
  type OpenedTable,
  outcomeValues,
  type RunningEntry,
  settleRunning,
} from "../base.js";
import type { Checkpoint } from "../checkpoint-gate.js";
import {
  type ColumnMapping,
  quoteIdentifier as quote,
  type RegisteredTable,
  SYNC_ID_COLUMN,
  VERSION_COLUMN,
} from "../naming.js";
import { SluiceError } from "../../errors.js";
import { createPrivateFile } from "../../files.js";
import {
  type ColumnType,
  type Row,
  StoreError,
  StoreNotFoundError,
  type SyncLogEntry,
  type SyncOutcome,
  type SyncOwner,
  type WriteCounts,
} from "../types.js";
import { exactInDouble, inInt64, isIntegerText, jsonText } from "../values.js";
import {
  BUSY_TIMEOUT_MS,
  committing,
  type PageJob,
  PageRunner,
  type PageStep,
  saveCheckpoint,
  tuneForWriting,
} from "./page-runner.js";
import {
  columnDefinition,
  META_TABLES,
  MIGRATE_NUMBER_KEYS,
  MIGRATE_SYNC_OWNER,
  MIGRATE_STREAM_REGISTRY,
  typeOfDeclared,
} from "./schema.js";

export interface SqliteOpenOptions {
  /** Open an existing file read-only; never create one. */
  readOnly?: boolean;
}

export class SqliteStore extends BaseStore {
  readonly kind = "sqlite";
  protected readonly limits = { identifierBytes: Number.POSITIVE_INFINITY, columns: 1990 };
  private database: Database.Database | undefined;
  private pageRunner: PageRunner | undefined;

  private constructor(
    readonly location: string,
    private readonly readOnly: boolean,
  ) {
    super();
  }

  /** Opens `file` (an existing one at once, a new one on the first write). */
  static open(file: string, options: SqliteOpenOptions = {}): SqliteStore {
    const location = file === ":memory:" ? file : resolve(file);
    const store = new SqliteStore(location, options.readOnly === true);
    if (options.readOnly && !existsSync(location)) throw new StoreNotFoundError(location, "the file does not exist");
    if (location === ":memory:" || existsSync(location)) store.guardSync(() => store.connect());
    else checkCreatable(location);
    return store;
  }

  /** The open database; for the store's tables and tests. */
  get db(): Database.Database {
    return this.database ?? this.connect();
  }

  private connect(): Database.Database {
    if (this.database) return this.database;
    if (this.location !== ":memory:" && !this.readOnly) {
      mkdirSync(dirname(this.location), { recursive: true });
      // Created readable by its owner only: a store holds whatever the connectors read.
      createPrivateFile(this.location);
    }
    const db = new Database(this.location, { readonly: this.readOnly, fileMustExist: this.readOnly });
    if (this.readOnly) db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    else tuneForWriting(db);
    this.database = db;
    return db;
  }

  protected async create(): Promise<void> {
    this.guardSync(() => {
      const db = this.connect();
      // Begun as a write at once (immediate): it reads the tables before it may change them, and a deferred
      // one would then fail at once with SQLITE_BUSY, not wait, should another process have written meanwhile.
      db.transaction(() => {
        db.exec(META_TABLES);
        if (this.hasTable("_sluice_streams")) db.exec(MIGRATE_STREAM_REGISTRY);
        if (!this.tableInfo("_sluice_tables").some((c) => c.name === "number_keys_as_real"))
          db.exec(MIGRATE_NUMBER_KEYS);
        if (!this.logHasOwners()) db.exec(MIGRATE_SYNC_OWNER);
      }).immediate();
    });
  }

  async exists(): Promise<boolean> {
    if (!this.database && !existsSync(this.location)) return false;
    return this.hasTable("_sluice_syncs");
  }

  private hasTable(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  protected async registeredTables(): Promise<RegisteredTable[]> {
    const rows = this.db
      .prepare("SELECT table_name AS tableName, connector, stream, primary_key AS primaryKey FROM _sluice_tables")
      .all() as { tableName: string; connector: string; stream: string; primaryKey: string }[];
    return rows.map((r) => ({ ...r, table: r.tableName, primaryKey: JSON.parse(r.primaryKey) as string[] }));
  }

  protected async existingTables(): Promise<string[]> {
    const rows = this.db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')").all() as {
      name: string;
    }[];
    return rows.map((r) => r.name);
  }

  protected async register(entry: RegisteredTable): Promise<void> {
    this.db
      .prepare("INSERT INTO _sluice_tables (table_name, connector, stream, primary_key) VALUES (?, ?, ?, ?)")
      .run(entry.table, entry.connector, entry.stream, JSON.stringify(entry.primaryKey));
  }

  protected async columnsOf(table: string): Promise<{ column: string; type: ColumnType }[]> {
    return this.tableInfo(table)
      .filter((c) => c.name !== SYNC_ID_COLUMN && c.name !== VERSION_COLUMN)
      .map((c) => ({ column: c.name, type: typeOfDeclared(c.type) }));
  }

  tableInfo(table: string): { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[] {
    return this.db.prepare(`PRAGMA table_info(${quote(table)})`).all() as ReturnType<SqliteStore["tableInfo"]>;
  }

  protected async mappingsOf(table: string): Promise<ColumnMapping[]> {
    return this.db
      .prepare('SELECT field, column_name AS "column" FROM _sluice_columns WHERE table_name = ?')
      .all(table) as ColumnMapping[];
  }

  protected async dropTable(table: string): Promise<void> {
    this.db.transaction(() => {
      this.db.exec(`DROP TABLE IF EXISTS ${quote(table)}`);
      this.db.prepare("DELETE FROM _sluice_columns WHERE table_name = ?").run(table);
    })();
  }

  protected async createTable(table: string, columns: Column[], keyColumns: string[]): Promise<void> {
    const definitions = columns.map((c) => columnDefinition(c.column, c.type));
    definitions.push(`${quote(SYNC_ID_COLUMN)} INTEGER`, `${quote(VERSION_COLUMN)} INTEGER NOT NULL DEFAULT 1`);
    if (keyColumns.length) definitions.push(`PRIMARY KEY (${keyColumns.map(quote).join(", ")})`);
    this.db.exec(`CREATE TABLE ${quote(table)} (${definitions.join(", ")})`);
  }

  protected writerFor(opened: OpenedTable): SqliteTable {
    return new SqliteTable(this, opened, !opened.spec.replace && this.numberKeysAsReal(opened.table));
  }

  /** Whether the table keeps numbers in its text key columns as REAL text ('5.0'): see MIGRATE_NUMBER_KEYS. */
  private numberKeysAsReal(table: string): boolean {
    const row = this.db
      .prepare("SELECT number_keys_as_real AS v FROM _sluice_tables WHERE table_name = ?")
      .get(table) as { v: number } | undefined;
    return row?.v === 1;
  }

  protected async readState(connector: string): Promise<string> {
    const row = this.db.prepare("SELECT state FROM _sluice_state WHERE connector = ?").get(connector) as
      | { state: string }
      | undefined;
    return row?.state ?? "";
  }

  protected async writeState(checkpoint: Checkpoint): Promise<void> {
    committing(this.db, checkpoint.durable, () => saveCheckpoint(this.db, checkpoint));
  }

  /**
   * Runs a page's job on this connection. Not on a thread of its own: on two cores the connector takes one,
   * and handing each page to a writer thread (structured clone there and back, a second V8 heap) cost more
   * than the overlap gave back: inline is faster and takes 30–90 MB less memory (bench/RESULTS.md).
   */
  runPage(job: PageJob): WriteCounts {
    this.pageRunner ??= new PageRunner(this.db);
    return this.pageRunner.run(job);
  }

  private insertEntry(connector: string, protocol: string, owner: string | undefined): number {
    const result = this.db
      .prepare(
        "INSERT INTO _sluice_syncs (connector, protocol, started_at, status, owner) VALUES (?, ?, ?, 'running', ?)",
      )
      .run(connector, protocol, new Date().toISOString(), owner ?? null);
    return Number(result.lastInsertRowid);
  }

  /**
   * The claim in one synchronous transaction begun as a write at once: another process's claim waits for
   * its commit (busy_timeout), and no other work of this process can come between, as it could at an
   * await, where a write of another store of this file would wait on this very thread for ever.
   */
  async beginSync(connector: string, protocol: string, owner?: SyncOwner): Promise<number> {
    return this.guard(async () => {
      await this.ensureCreated();
      return this.db
        .transaction(() => {
          if (owner)
            for (const ended of settleRunning(this.location, connector, this.runningOf(connector), owner))
              this.closeEntry(ended.id, ended.outcome);
          return this.insertEntry(connector, protocol, owner?.id);
        })
        .immediate();
    });
  }

  /**
   * Chosen again when another connection registered the name between this one's look and its insert (the
   * registry's key refuses the second): no lock held across the choice, which a write of another sync in
   * this process, on this very thread, could otherwise wait on for ever.
   */
  protected override async naming<T>(choose: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await choose();
      } catch (error) {
        const taken = (error as { code?: string }).code?.startsWith("SQLITE_CONSTRAINT");
        if (!taken || !/_sluice_tables\.table_name/.test((error as Error).message) || attempt === 5) throw error;
      }
    }
  }

  private runningOf(connector: string): RunningEntry[] {
    return this.db
      .prepare("SELECT id, owner FROM _sluice_syncs WHERE connector = ? AND status = 'running' AND owner IS NOT NULL")
      .all(connector) as RunningEntry[];
  }

  protected async updateSync(id: number, outcome: SyncOutcome): Promise<void> {
    this.closeEntry(id, outcome);
  }

  private closeEntry(id: number, outcome: SyncOutcome): void {
    this.db
      .prepare(
        "UPDATE _sluice_syncs SET finished_at = ?, status = ?, pages = ?, inserted = ?, updated = ?, unchanged = ?, message = ?, error = ? WHERE id = ?",
      )
      .run(new Date().toISOString(), ...outcomeValues(outcome), id);
  }

  /** Whether the sync log records who runs each sync (see MIGRATE_SYNC_OWNER). */
  private logHasOwners(): boolean {
    return this.tableInfo("_sluice_syncs").some((c) => c.name === "owner");
  }

  protected async selectSyncs(limit: number): Promise<SyncLogEntry[]> {
    // A sync log from before 2026-12 has no owner column, and reading does not add it.
    const owner = this.logHasOwners() ? "owner" : "NULL AS owner";
    return this.db
      .prepare(
        "SELECT id, connector, protocol, started_at AS startedAt, finished_at AS finishedAt, status, pages, inserted, updated, unchanged, message, error, " +
          `${owner} FROM _sluice_syncs ORDER BY id DESC LIMIT ?`,
      )
      .all(limit) as SyncLogEntry[];
  }

  async close(): Promise<void> {
    if (this.database?.open) this.database.close();
  }

  guardSync<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.wrap(error);
    }
  }

  wrap(error: unknown): Error {
    if (error instanceof SluiceError) return error;
    return wrapSqliteError(this.location, error);
  }
}

/** Refuses, before anything is written, a new file whose folder cannot be made or written. */
function checkCreatable(file: string): void {
  let folder = dirname(file);
  while (!existsSync(folder)) folder = dirname(folder);
  const problem = !statSync(folder).isDirectory()
    ? `${folder} is not a folder`
    : (() => {
        try {
          accessSync(folder, constants.W_OK);
          return undefined;
        } catch {
          return `the folder ${folder} is not writable`;
        }
      })();
  if (problem) throw new StoreError(file, `cannot create the database file: ${problem}`);
}

/**
 * How a value is bound for a column, by the column's affinity. better-sqlite3 binds every JS number as a
 * REAL: an INTEGER column turns an integral one back into an integer, but a TEXT column would keep 5 as
 * '5.0' (and true as '1.0') and a column without affinity as 5.0. So text columns get a value's JSON text,
 * as PostgreSQL and DuckDB store it, and columns without affinity get integers as integers. Integer and
 * real columns need exact checks where SQLite would round.
 */
const enum Affinity {
  None = 0,
  Integer = 1,
  Real = 2,
  Text = 3,
  /** A text key column of a table written before 2026-12: numbers as REAL text, as its rows hold them. */
  RealTextKey = 4,
}

function affinityOf(type: ColumnType): Affinity {
  switch (type) {
    case "integer":
    case "boolean":
      return Affinity.Integer;
    case "real":
      return Affinity.Real;
    case "text":
    case "timestamp":
    case "json":
      return Affinity.Text;
    default:
      return Affinity.None;
  }
}

/** Whether a number binds unchanged (SQLite's own conversion for the column gives the value). */
const numbersAsIs = (affinity: Affinity): boolean =>
  affinity === Affinity.Integer || affinity === Affinity.Real || affinity === Affinity.RealTextKey;
/** Whether every string binds unchanged; in integer and real columns only those too short to pass 2^53. */
const stringsAsIs = (affinity: Affinity): boolean =>
  affinity === Affinity.None || affinity === Affinity.Text || affinity === Affinity.RealTextKey;

class SqliteTable extends BaseTableWriter {
  private readonly sqlite: SqliteStore;

  constructor(
    store: SqliteStore,
    opened: OpenedTable,
    /** The table keeps numbers in text key columns as REAL text (see MIGRATE_NUMBER_KEYS). */
    private readonly numberKeysAsReal: boolean,
  ) {
    super(store, opened);
    this.sqlite = store;
  }

  private affinityOf(column: Column): Affinity {
    const affinity = affinityOf(column.type);
    return affinity === Affinity.Text && this.numberKeysAsReal && this.opened.keyColumns.includes(column.column)
      ? Affinity.RealTextKey
      : affinity;
  }

  protected async writePage(rows: Row[], syncId: number, checkpoint: Checkpoint | undefined): Promise<WriteCounts> {
    const { target, keyColumns } = this.opened;
    const columns = this.columns.map((c) => c.column);
    return this.sqlite.runPage({ table: target, columns, keyColumns, steps: this.stepsOf(rows, syncId), checkpoint });
  }

  async addColumns(columns: Column[]): Promise<void> {
    for (const column of columns)
      this.sqlite.db.exec(
        `ALTER TABLE ${quote(this.opened.target)} ADD COLUMN ${columnDefinition(column.column, column.type)}`,
      );
  }

  async registerMappings(mappings: ColumnMapping[]): Promise<void> {
    const insert = this.sqlite.db.prepare(
      "INSERT OR REPLACE INTO _sluice_columns (table_name, field, column_name) VALUES (?, ?, ?)",
    );
    for (const { field, column } of mappings) insert.run(this.opened.target, field, column);
  }

  /**
   * SQLite cannot change a column's declared type in place: the table is
   * rebuilt with the new one (rows copied as they are) in one transaction.
   */
  protected async widenColumn(column: Column, to: ColumnType): Promise<ColumnType> {
    const db = this.sqlite.db;
    const table = this.opened.target;
    const rebuilt = `_sluice_rebuild_${table}`;
    const info = this.sqlite.tableInfo(table);
    const definitions = info.map((c) => {
      const type = c.name === column.column ? columnDefinition(c.name, to) : `${quote(c.name)} ${c.type}`.trim();
      return `${type}${c.notnull ? " NOT NULL" : ""}${c.dflt_value !== null ? ` DEFAULT ${c.dflt_value}` : ""}`;
    });
    const key = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    if (key.length) definitions.push(`PRIMARY KEY (${key.map((c) => quote(c.name)).join(", ")})`);
    db.transaction(() => {
      db.exec(`CREATE TABLE ${quote(rebuilt)} (${definitions.join(", ")})`);
      db.exec(`INSERT INTO ${quote(rebuilt)} SELECT * FROM ${quote(table)}`);
      db.exec(`DROP TABLE ${quote(table)}`);
      db.exec(`ALTER TABLE ${quote(rebuilt)} RENAME TO ${quote(table)}`);
    })();
    return to;
  }

  protected async replaceTable(checkpoint: Checkpoint | undefined): Promise<void> {
    const db = this.sqlite.db;
    const { table, target, spec } = this.opened;
    const replace = db.transaction(() => {
      db.exec(`DROP TABLE IF EXISTS ${quote(table)}`);
      db.exec(`ALTER TABLE ${quote(target)} RENAME TO ${quote(table)}`);
      db.prepare("DELETE FROM _sluice_columns WHERE table_name = ?").run(table);
      db.prepare("UPDATE _sluice_columns SET table_name = ? WHERE table_name = ?").run(table, target);
      // The staging table was written with numbers in text columns as their JSON text, keys included.
      db.prepare("UPDATE _sluice_tables SET primary_key = ?, number_keys_as_real = 0 WHERE table_name = ?").run(
        JSON.stringify(spec.primaryKey),
        table,
      );
      if (checkpoint) saveCheckpoint(db, checkpoint);
    });
    committing(db, checkpoint?.durable, () => replace());
  }

  /**
   * The page's rows as bind values, in page order: runs of upserts and the keys of deletes between them.
   * Throws Misfit, before anything is written, for a value its column cannot hold.
   */
  private stepsOf(rows: Row[], syncId: number): PageStep[] {
    const columns = this.columns;
    const fields = columns.map((c) => c.field);
    const affinities = columns.map((c) => this.affinityOf(c));
    const numberAsIs = affinities.map(numbersAsIs);
    const stringAsIs = affinities.map(stringsAsIs);
    const keyAffinities = this.opened.keyColumns.map((key) =>
      keyAffinity(affinities[columns.findIndex((c) => c.column === key)]),
    );
    const width = columns.length;
    const steps: PageStep[] = [];
    let upserts: unknown[][] | undefined;
    let deletes: unknown[][] | undefined;
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index];
      if (isDeletion(row)) {
        upserts = undefined;
        const key = this.opened.spec.primaryKey.map((field, k) => toSqlValue(row[field], keyAffinities[k], -1));
        if (!deletes) steps.push({ deleteKeys: (deletes = []) });
        deletes.push(key);
        continue;
      }
      deletes = undefined;
      const values = new Array(width + 1);
      for (let c = 0; c < width; c++) {
        const value = row[fields[c]];
        values[c] =
          (typeof value === "number" && numberAsIs[c]) ||
          (typeof value === "string" && (stringAsIs[c] || value.length < 16))
            ? value
            : toSqlValue(value, affinities[c], c);
      }
      values[width] = syncId;
      if (!upserts) steps.push({ upsert: (upserts = []) });
      upserts.push(values);
    }
    return steps;
  }
}

/**
 * A value as SQLite binds it for a column of this affinity: in text columns its JSON text; elsewhere
 * booleans 1/0, objects and arrays JSON text, an integer beyond 64 bits its exact text. Where the
 * column's affinity would turn an integer into a REAL (beyond 64 bits, or beyond 2^53 in a REAL column),
 * the column must widen first: Misfit.
 */
function toSqlValue(value: unknown, affinity: Affinity, column: number): unknown {
  switch (typeof value) {
    case "string":
      if ((affinity === Affinity.Integer || affinity === Affinity.Real) && isIntegerText(value))
        checkExact(BigInt(value), value, affinity, column);
      return value;
    case "number":
      if (affinity === Affinity.Text) return String(value);
      return affinity === Affinity.None && Number.isSafeInteger(value) ? BigInt(value) : value;
    case "bigint":
      checkExact(value, value, affinity, column);
      return inInt64(value) ? value : value.toString();
    case "boolean":
      if (affinity === Affinity.Text) return String(value);
      return affinity === Affinity.None ? BigInt(value) : Number(value);
    case "undefined":
      return null;
    default:
      return value === null ? null : jsonText(value);
  }
}

/** A delete finds its row by the key column's form; a value no key column holds finds none (no checks). */
const keyAffinity = (affinity: Affinity): Affinity =>
  affinity === Affinity.Text || affinity === Affinity.RealTextKey ? affinity : Affinity.None;

function checkExact(n: bigint, value: unknown, affinity: Affinity, column: number): void {
  if (affinity === Affinity.Integer ? !inInt64(n) : affinity === Affinity.Real && !exactInDouble(n))
    throw new Misfit(column, "numeric", value);
}

/** SQLite's lock held by another process past the wait (SQLITE_BUSY) as STORE_BUSY; undefined for any other error. */
export function sqliteBusy(location: string, error: unknown): StoreError | undefined {
  if ((error as { code?: string }).code !== "SQLITE_BUSY") return undefined;
  return new StoreError(
    location,
    `the database is locked by another process (waited ${BUSY_TIMEOUT_MS / 1000} s): another program is writing to it or holds a transaction open`,
    error,
    "STORE_BUSY",
  );
}

function wrapSqliteError(location: string, error: unknown): StoreError {
  const busy = sqliteBusy(location, error);
  if (busy) return busy;
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  if (code === "SQLITE_FULL")
    return new StoreError(
      location,
      "the disk is full; nothing of the failed page was written, earlier pages are kept",
      error,
    );
  if (code.startsWith("SQLITE_CANTOPEN"))
    return new StoreError(location, "cannot open the database file (check the path and permissions)", error);
  if (code === "SQLITE_READONLY") return new StoreError(location, "the database is read-only", error);
  return new StoreError(location, message, error);
}

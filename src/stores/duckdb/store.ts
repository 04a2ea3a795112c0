/**
 * The DuckDB store, on @duckdb/node-api: a page goes through DuckDB's
 * appender into a temporary table and is merged: new keys by INSERT … ON
 * CONFLICT DO NOTHING, and where keys exist by INSERT … ON CONFLICT DO UPDATE
 * … WHERE the row changed, whose RETURNING of the row version tells inserted
 * (version 1) from updated rows. The page's checkpoint is saved in the same
 * transaction. Real types: BIGINT/HUGEINT, DOUBLE, BOOLEAN, TIMESTAMPTZ (sent
 * as text and cast in SQL: the appender's own conversion drops a UTC offset),
 * JSON.
 * The file is created on the first write, readable only by its owner.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, dirname } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { oneAtATime } from "../../async.js";
import { messageOf, SluiceError, UsageError } from "../../errors.js";
import { holdPrivateUmask } from "../../files.js";
import { BaseTableWriter, type Column, Misfit, type OpenedTable, pageSegments } from "../base.js";
import { type SqlValue, SqlStore } from "../sql-store.js";
import type { Checkpoint } from "../checkpoint-gate.js";
import {
  checkedSchema,
  type ColumnMapping,
  quoteIdentifier as quote,
  type RegisteredTable,
  SYNC_ID_COLUMN,
  VERSION_COLUMN,
} from "../naming.js";
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBMaterializedResult,
  type DuckDBPreparedStatement,
} from "./binding.js";
import { releaseInstance, type SharedInstance, useInstance } from "./instances.js";
import { type ColumnType, type Row, StoreError, StoreNotFoundError, type WriteCounts } from "../types.js";
import { exactInDouble, inInt64, integerOf, isDecimalText, isTimestampText, jsonText, widen } from "../values.js";

export interface DuckDbOpenOptions {
  readOnly?: boolean;
  /** The schema of the tables and Sluice's own (default "main"). */
  schema?: string;
}

/**
 * DuckDB's memory limit to start with, in MB (its buffer pool spills to a
 * temporary folder beyond). A page that needs more (wide rows, big JSON)
 * doubles it, up to MOST_MEMORY_MB, and is written again: a long sync's
 * memory stays flat and low, and no page fails for want of memory.
 * SLUICE_DUCKDB_MEMORY_LIMIT sets a limit for good instead.
 */
const START_MEMORY_MB = 24;
const MOST_MEMORY_MB = 1024;
const OUT_OF_MEMORY = /Out of Memory Error/;
/** DuckDB's refusal of a file another process has open (DuckDB lets one process open a file for writing). */
const HELD_ELSEWHERE = /Could not set lock on file|Conflicting lock/i;
/** How long opening a file another process holds is tried, as SQLite waits for its lock (BUSY_TIMEOUT_MS). */
const HELD_WAIT_MS = 5000;

/**
 * Pages of up to this many rows are appended ahead: an appender flushes by itself (using its
 * connection) once it holds DuckDB's flush count, 204,800 rows, which must not happen mid-statement.
 */
const MOST_ROWS_AHEAD = 100_000;
/** Rows of a page appended ahead per turn of the event loop (see fillAhead). */
const AHEAD_SLICE_ROWS = 1000;

const INT128_MAX = 2n ** 127n - 1n;
const INT128_MIN = -(2n ** 127n);

const DUCK_TYPES: Record<ColumnType, string> = {
  boolean: "BOOLEAN",
  integer: "BIGINT",
  numeric: "HUGEINT",
  real: "DOUBLE",
  timestamp: "TIMESTAMPTZ",
  text: "VARCHAR",
  json: "JSON",
  any: "JSON",
};

function typeOfDuck(type: string): ColumnType {
  switch (type) {
    case "BOOLEAN":
      return "boolean";
    case "BIGINT":
    case "INTEGER":
    case "SMALLINT":
    case "TINYINT":
      return "integer";
    case "HUGEINT":
      return "numeric";
    case "DOUBLE":
    case "FLOAT":
      return "real";
    case "TIMESTAMP WITH TIME ZONE":
      return "timestamp";
    case "JSON":
      return "json";
    default:
      return "text";
  }
}

/** DuckDB's own databases and system schemas: a schema of the file named so would read two ways, or cannot be made. */
const RESERVED_SCHEMAS = new Set(["temp", "system", "pg_catalog", "information_schema"]);

/** Why DuckDB cannot take `schema` as it is. */
function duckSchemaReason(schema: string): string | undefined {
  // nextval() takes the sync log's sequence by a name in a string, which DuckDB cannot parse with a `"` in it.
  if (schema.includes('"')) return "a DuckDB schema name cannot hold a double quote";
  if (RESERVED_SCHEMAS.has(schema.toLowerCase())) return `DuckDB keeps the name ${schema} for its own`;
  return undefined;
}

/** Without the ICU extension (not installable offline) a TIMESTAMPTZ casts to its UTC TIMESTAMP. */
const ISO_TIME = (column: string) => `strftime(${column}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%gZ')`;

/** The COMMIT of a transaction (or what runs with it) failed: what it wrote and its checkpoint are not kept. */
class CommitFailedError extends StoreError {
  constructor(location: string, cause: unknown) {
    super(
      location,
      `the transaction's COMMIT failed, so its rows and its checkpoint were not kept: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    );
  }
}

export class DuckDbStore extends SqlStore {
  readonly kind = "duckdb";
  protected readonly limits = { identifierBytes: Number.POSITIVE_INFINITY, columns: 5000 };
  readonly location: string;
  /** This store's use of the file's instance (see instances.ts). */
  private used: SharedInstance | undefined;
  private connection: DuckDBConnection | undefined;
  /** Ends this store's hold on the private umask (see connect). */
  private releaseUmask: (() => void) | undefined;
  private readonly s: string;
  /** A transaction was begun with the last COMMIT, in the same trip, for the next page; nothing in it yet. */
  private begunAhead = false;
  private inTransaction = false;
  /** The checkpoint's UPDATE, prepared on first use. */
  private stateUpdate: Promise<DuckDBPreparedStatement> | undefined;
  /** Tables opened for writing: each may hold an appender to let go of before the connection closes. */
  private readonly tables = new Set<DuckDbTable>();
  private readonly memoryFixed = process.env.SLUICE_DUCKDB_MEMORY_LIMIT !== undefined;

  private constructor(
    private readonly file: string,
    private readonly readOnly: boolean,
    readonly schema: string,
  ) {
    super();
    this.location = `duckdb:${file}${schema === "main" ? "" : ` (schema ${schema})`}`;
    this.s = quote(schema);
  }

  static async open(file: string, options: DuckDbOpenOptions = {}): Promise<DuckDbStore> {
    const schema = checkedSchema(options.schema ?? "main", duckSchemaReason);
    const store = new DuckDbStore(file, options.readOnly === true, schema);
    if (options.readOnly && !existsSync(file)) throw new StoreNotFoundError(store.location, "the file does not exist");
    if (existsSync(file)) await store.guard(() => store.connect());
    return store;
  }

  qualified(name: string): string {
    return `${this.s}.${quote(name)}`;
  }

  /**
   * The open connection (opening the file, and creating it, on first use). A file another process
   * holds is tried again for up to HELD_WAIT_MS: a process that holds it briefly (a server reading it
   * for its data pages, a short sync) lets it go within that.
   */
  async connect(): Promise<DuckDBConnection> {
    for (const started = Date.now(); ; ) {
      try {
        return await this.connectOnce();
      } catch (error) {
        if (!HELD_ELSEWHERE.test(messageOf(error)) || Date.now() - started >= HELD_WAIT_MS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private async connectOnce(): Promise<DuckDBConnection> {
    if (this.connection) return this.connection;
    const fresh = !existsSync(this.file) && this.file !== ":memory:";
    if (fresh) mkdirSync(dirname(this.file), { recursive: true });
    // The file, its write-ahead log (the rows being written, re-created after each checkpoint) and its spill
    // folder are created by DuckDB as it goes: private only under a private umask, held while the store is open.
    if (!this.readOnly) this.releaseUmask ??= holdPrivateUmask();
    const shared = !this.readOnly && this.file !== ":memory:";
    const used = useInstance(this.file, { shared, memoryMb: START_MEMORY_MB }, (mb) => this.createInstance(mb));
    let connection: DuckDBConnection | undefined;
    try {
      connection = await (await used.instance).connect();
      await this.checkSchemaAgainstDatabase(connection);
      await this.fitMemoryTo(used, connection);
      this.connection = connection;
    } catch (error) {
      connection?.closeSync();
      await releaseInstance(this.file, used);
      // A refused --schema leaves no new, empty database file behind.
      if (fresh && used.users === 0 && error instanceof UsageError)
        for (const file of [this.file, `${this.file}.wal`]) rmSync(file, { force: true });
      this.releaseUmask?.();
      this.releaseUmask = undefined;
      throw error;
    }
    this.used = used;
    return this.connection;
  }

  /**
   * Each store sharing the instance gets the starting memory in it: the stores' transactions run side
   * by side, and three at 24 MB between them failed a COMMIT for want of a block, after which DuckDB
   * may invalidate the whole database. A failed COMMIT is not tried again as other statements are
   * (withMemory): in a probe, a retry left a duplicate key and a corrupted column.
   */
  private async fitMemoryTo(used: SharedInstance, connection: DuckDBConnection): Promise<void> {
    const wanted = START_MEMORY_MB * used.users;
    if (this.memoryFixed || used.memoryMb >= wanted) return;
    used.memoryMb = wanted;
    await connection.run(`SET memory_limit = '${wanted}MB'`);
  }

  /**
   * A schema named like the file's database (`--schema crm` in crm.duckdb) makes `crm.t` mean the
   * schema's table or the database's, and DuckDB refuses every such name: refused here, before
   * anything is created, with the way out.
   */
  private async checkSchemaAgainstDatabase(connection: DuckDBConnection): Promise<void> {
    const [[database]] = (await (await connection.run("SELECT current_database()")).getRows()) as string[][];
    if (database.toLowerCase() === this.schema.toLowerCase())
      throw new UsageError(
        `--schema ${JSON.stringify(this.schema)}: DuckDB names the database in ${basename(this.file)} ${JSON.stringify(database)} too, so the schema's tables could not be told from the database's; choose another schema name`,
      );
  }

  private createInstance(memoryMb: number): Promise<DuckDBInstance> {
    return DuckDBInstance.create(this.file, {
      access_mode: this.readOnly ? "READ_ONLY" : "READ_WRITE",
      // DuckDB lives in Sluice's process, so its memory counts against the host's: bounded buffer pool.
      memory_limit: process.env.SLUICE_DUCKDB_MEMORY_LIMIT ?? `${memoryMb}MB`,
      // One thread: a page's merge (a few thousand rows) runs on one anyway, and each thread kept its
      // own allocator caches; the connector keeps the other core.
      threads: "1",
      // Give freed memory back to the system above 16 MB rather than 128 MB. Flushing at 2 MB cost 10 %
      // of a sync's speed to save about 5 MB (2M records, page size 5000).
      allocator_flush_threshold: "16MB",
      allocator_bulk_deallocation_flush_threshold: "16MB",
      // A sync never downloads code: what the store uses (json, icu) is built into the binding.
      autoinstall_known_extensions: "false",
    });
  }

  async run(sql: string, values?: SqlValue[]): Promise<unknown[][]> {
    const result = await this.execute(sql, values);
    return result.getRows() as Promise<unknown[][]>;
  }

  /** Runs one statement; its result unread. */
  async execute(sql: string, values?: SqlValue[]): Promise<DuckDBMaterializedResult> {
    const connection = await this.ready();
    return connection.run(sql, values);
  }

  /**
   * The connection, for a statement of its own or one of the running transaction's: a transaction begun
   * ahead (by the last COMMIT) and not taken by a page is ended first, so a statement outside a page
   * commits on its own as it always did.
   */
  private async ready(): Promise<DuckDBConnection> {
    const connection = await this.connect();
    if (this.begunAhead && !this.inTransaction) {
      this.begunAhead = false;
      await connection.run("COMMIT");
    }
    return connection;
  }

  /**
   * An UPDATE of the connector's row, and an INSERT only when it has none:
   * DuckDB's INSERT … ON CONFLICT DO UPDATE of that one row cost several
   * times the UPDATE, once per page. The UPDATE is prepared once: a statement
   * run with values takes three trips to DuckDB's thread (split, prepare,
   * execute), a prepared one a single trip.
   */
  override async saveCheckpoint({ connector, state, syncId }: Checkpoint): Promise<void> {
    const table = this.qualified("_sluice_state");
    this.stateUpdate ??= (await this.ready())
      .prepare(`UPDATE ${table} SET state = $1, sync_id = $2, updated_at = now() WHERE connector = $3`)
      .catch((error: unknown) => {
        this.stateUpdate = undefined;
        throw error;
      });
    const update = await this.stateUpdate;
    update.bind([state, syncId, connector]);
    const updated = await update.run();
    if (updated.rowsChanged === 0)
      await this.execute(`INSERT INTO ${table} (connector, state, sync_id, updated_at) VALUES ($1, $2, $3, now())`, [
        connector,
        state,
        syncId,
      ]);
  }

  protected isoTime(column: string): string {
    return ISO_TIME(column);
  }

  async rows<T>(sql: string, values?: SqlValue[]): Promise<T[]> {
    const connection = await this.ready();
    const result = await connection.run(sql, values);
    return (await result.getRowObjectsJS()) as T[];
  }

  /**
   * Runs `work` (whole transactions, so it can run again), again with twice
   * the memory limit while DuckDB runs out of memory and the limit is ours.
   * A transaction whose COMMIT failed is not run again, whatever the error: in a probe, a COMMIT that
   * ran out of memory and was tried again left a duplicate key and a corrupted column.
   */
  async withMemory<T>(work: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        const outOfMemory =
          error instanceof Error && !(error instanceof CommitFailedError) && OUT_OF_MEMORY.test(error.message);
        const used = this.used;
        if (!outOfMemory || this.memoryFixed || !used || used.memoryMb >= MOST_MEMORY_MB) throw error;
        used.memoryMb *= 2;
        await this.run(`SET memory_limit = '${used.memoryMb}MB'`);
      }
    }
  }

  /**
   * Runs `work` in a transaction. `beforeCommit` (statements, each ending in ';') runs with the COMMIT,
   * in the same trip to DuckDB's thread, and so does the BEGIN of the next transaction: a sync's next
   * page starts without a trip of its own (each trip waits for this thread to be free to take the reply,
   * and it is busy appending the page after). A statement outside a page ends that empty transaction
   * first (`ready`). Should the BEGIN alone fail after the COMMIT, the page is reported failed though
   * committed, with its checkpoint: a run again goes on from there.
   */
  async transaction<T>(work: () => Promise<T>, beforeCommit = ""): Promise<T> {
    // Statements whose result nobody reads are not fetched: each fetch is one more trip to DuckDB's thread.
    if (this.begunAhead) this.begunAhead = false;
    else await this.execute("BEGIN TRANSACTION");
    this.inTransaction = true;
    try {
      const result = await work();
      await this.execute(`${beforeCommit}COMMIT; BEGIN TRANSACTION;`).catch((error: unknown) => {
        throw new CommitFailedError(this.location, error);
      });
      this.begunAhead = true;
      return result;
    } catch (error) {
      await this.execute("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  protected create(): Promise<void> {
    return this.inTurn(() => this.createNow());
  }

  private async createNow(): Promise<void> {
    await this.connect();
    if (this.schema !== "main") await this.run(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
    await this.run(`CREATE SEQUENCE IF NOT EXISTS ${this.qualified("_sluice_sync_ids")}`);
    await this.run(`
      CREATE TABLE IF NOT EXISTS ${this.qualified("_sluice_syncs")} (
        id BIGINT PRIMARY KEY DEFAULT nextval('${this.qualified("_sluice_sync_ids").replaceAll("'", "''")}'),
        connector VARCHAR NOT NULL,
        protocol VARCHAR NOT NULL,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        finished_at TIMESTAMPTZ,
        status VARCHAR NOT NULL,
        pages BIGINT NOT NULL DEFAULT 0,
        inserted BIGINT NOT NULL DEFAULT 0,
        updated BIGINT NOT NULL DEFAULT 0,
        unchanged BIGINT NOT NULL DEFAULT 0,
        message VARCHAR,
        error VARCHAR,
        owner VARCHAR
      );
      -- Until 2026-12 the sync log did not say who ran a sync (see SyncOwner).
      ALTER TABLE ${this.qualified("_sluice_syncs")} ADD COLUMN IF NOT EXISTS owner VARCHAR;
      CREATE TABLE IF NOT EXISTS ${this.qualified("_sluice_state")} (
        connector VARCHAR PRIMARY KEY,
        state VARCHAR NOT NULL,
        sync_id BIGINT,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS ${this.qualified("_sluice_tables")} (
        table_name VARCHAR PRIMARY KEY,
        connector VARCHAR NOT NULL,
        stream VARCHAR NOT NULL,
        primary_key VARCHAR NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ${this.qualified("_sluice_columns")} (
        table_name VARCHAR NOT NULL,
        field VARCHAR NOT NULL,
        column_name VARCHAR NOT NULL,
        PRIMARY KEY (table_name, field)
      );`);
  }

  async exists(): Promise<boolean> {
    if (!this.connection && !existsSync(this.file)) return false;
    const rows = await this.run(
      "SELECT 1 FROM duckdb_tables() WHERE schema_name = $1 AND table_name = '_sluice_syncs'",
      [this.schema],
    );
    return rows.length > 0;
  }

  protected async registeredTables(): Promise<RegisteredTable[]> {
    const rows = await this.rows<{ table: string; connector: string; stream: string; primaryKey: string }>(
      `SELECT table_name AS "table", connector, stream, primary_key AS "primaryKey" FROM ${this.qualified("_sluice_tables")}`,
    );
    return rows.map((r) => ({ ...r, primaryKey: JSON.parse(r.primaryKey) as string[] }));
  }

  protected async existingTables(): Promise<string[]> {
    const rows = await this.run(
      "SELECT table_name FROM duckdb_tables() WHERE schema_name = $1 UNION ALL SELECT view_name FROM duckdb_views() WHERE schema_name = $1",
      [this.schema],
    );
    return rows.map((r) => String(r[0]));
  }

  protected async register(entry: RegisteredTable): Promise<void> {
    await this.run(
      `INSERT INTO ${this.qualified("_sluice_tables")} (table_name, connector, stream, primary_key) VALUES ($1, $2, $3, $4)`,
      [entry.table, entry.connector, entry.stream, JSON.stringify(entry.primaryKey)],
    );
  }

  protected async columnsOf(table: string): Promise<{ column: string; type: ColumnType }[]> {
    const rows = await this.run(
      "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = $1 AND table_name = $2 ORDER BY column_index",
      [this.schema, table],
    );
    return rows
      .map(([column, type]) => ({ column: String(column), type: typeOfDuck(String(type)) }))
      .filter((c) => c.column !== SYNC_ID_COLUMN && c.column !== VERSION_COLUMN);
  }

  protected async mappingsOf(table: string): Promise<ColumnMapping[]> {
    return this.rows<ColumnMapping>(
      `SELECT field, column_name AS "column" FROM ${this.qualified("_sluice_columns")} WHERE table_name = $1`,
      [table],
    );
  }

  protected async dropTable(table: string): Promise<void> {
    await this.transaction(async () => {
      await this.run(`DROP TABLE IF EXISTS ${this.qualified(table)}`);
      await this.run(`DELETE FROM ${this.qualified("_sluice_columns")} WHERE table_name = $1`, [table]);
    });
  }

  protected async createTable(table: string, columns: Column[], keyColumns: string[]): Promise<void> {
    const definitions = columns.map((c) => `${quote(c.column)} ${DUCK_TYPES[c.type]}`);
    definitions.push(`${quote(SYNC_ID_COLUMN)} BIGINT`, `${quote(VERSION_COLUMN)} BIGINT NOT NULL DEFAULT 1`);
    if (keyColumns.length) definitions.push(`PRIMARY KEY (${keyColumns.map(quote).join(", ")})`);
    await this.run(`CREATE TABLE ${this.qualified(table)} (${definitions.join(", ")})`);
  }

  protected writerFor(opened: OpenedTable): DuckDbTable {
    const table = new DuckDbTable(this, opened);
    this.tables.add(table);
    return table;
  }

  /** Other processes cannot open the file meanwhile; the other stores of this process on it take turns. */
  protected claiming<T>(_connector: string, claim: () => Promise<T>): Promise<T> {
    return this.inTurn(claim);
  }

  /** Likewise for choosing a table's name: two would otherwise both pick it. */
  protected override naming<T>(choose: () => Promise<T>): Promise<T> {
    return this.inTurn(choose);
  }

  /**
   * Stores of one file in this process share its instance (instances.ts), where two transactions making
   * the same catalog entry, or claiming the same name, at once conflict: such work takes turns.
   */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    return oneAtATime(`duckdb:${this.file}`, work);
  }

  async close(): Promise<void> {
    for (const table of this.tables) table.release();
    this.tables.clear();
    // Closing the connection destroys the statements prepared on it, and ends (empty) the transaction begun ahead.
    this.stateUpdate = undefined;
    this.begunAhead = false;
    this.connection?.closeSync();
    this.connection = undefined;
    if (this.used) await releaseInstance(this.file, this.used);
    this.used = undefined;
    this.releaseUmask?.();
    this.releaseUmask = undefined;
  }

  wrap(error: unknown): Error {
    if (error instanceof SluiceError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (HELD_ELSEWHERE.test(message))
      return new StoreError(
        this.location,
        `the database file is in use by another process (${message})`,
        error,
        "STORE_BUSY",
      );
    return new StoreError(this.location, message, error);
  }
}

let pageTables = 0;

type Append = (appender: DuckDBAppender, value: unknown, column: number) => void;

const misfit = (column: number, needs: ColumnType, value: unknown): never => {
  throw new Misfit(column, needs, value);
};

function needs(value: unknown): ColumnType {
  if (typeof value === "object" && value !== null) return "json";
  if (typeof value === "bigint") return inInt64(value) ? "integer" : "numeric";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "real";
  if (typeof value === "boolean") return "boolean";
  return "text";
}

/** One appender call per column type; a value the column cannot hold exactly is a Misfit. */
const APPENDERS: Record<ColumnType, Append> = {
  boolean: (a, v, c) => (typeof v === "boolean" ? a.appendBoolean(v) : misfit(c, needs(v), v)),
  integer: (a, v, c) => {
    // Most integers fit 32 bits: appended as they are (DuckDB widens them exactly), no bigint made per value.
    if (typeof v === "number" && (v | 0) === v) return a.appendInteger(v);
    if (typeof v === "boolean") return a.appendInteger(v ? 1 : 0);
    const n = integerOf(v);
    if (n === undefined) return misfit(c, typeof v === "number" ? "real" : needs(v), v);
    return inInt64(n) ? a.appendBigInt(n) : misfit(c, "numeric", v);
  },
  numeric: (a, v, c) => {
    if (typeof v === "boolean") return a.appendHugeInt(v ? 1n : 0n);
    const n = integerOf(v);
    return n !== undefined && n >= INT128_MIN && n <= INT128_MAX ? a.appendHugeInt(n) : misfit(c, "text", v);
  },
  real: (a, v, c) => {
    if (typeof v === "number") return a.appendDouble(v);
    if (typeof v === "boolean") return a.appendDouble(v ? 1 : 0);
    const n = integerOf(v);
    if (n !== undefined) return exactInDouble(n) ? a.appendDouble(Number(n)) : misfit(c, "numeric", v);
    return typeof v === "string" && isDecimalText(v) ? a.appendDouble(Number(v)) : misfit(c, needs(v), v);
  },
  // As text, cast to TIMESTAMPTZ by SQL in the merge: the appender's own conversion drops a UTC offset.
  timestamp: (a, v, c) => (typeof v === "string" && isTimestampText(v) ? a.appendVarchar(v) : misfit(c, needs(v), v)),
  text: (a, v) => a.appendVarchar(typeof v === "string" ? v : typeof v === "object" ? jsonText(v) : String(v)),
  json: (a, v) => a.appendVarchar(jsonText(v)),
  any: (a, v) => a.appendVarchar(jsonText(v)),
};

class DuckDbTable extends BaseTableWriter {
  private readonly duck: DuckDbStore;
  private readonly pageTable = `_sluice_page_${++pageTables}`;
  private pageTableReady = false;
  /** The last page's keys were all new: try the plain insert first. */
  private expectNew = true;
  /**
   * The next page, appended ahead: while a page merges and commits on DuckDB's thread, the page
   * announced by `upcoming` is appended on this one into an appender of the page table, and reaches
   * the table only when its own write flushes it, inside that write's transaction. An appender keeps
   * its rows in memory of its own until it flushes (DuckDB's BaseAppender), so filling it while the
   * connection runs a statement is safe; creating and flushing one happen between statements.
   */
  private ahead: { appender: DuckDBAppender; rows?: Row[]; filling?: Promise<void> } | undefined;
  /** The page announced next, not appended yet. */
  private announced: Row[] | undefined;

  constructor(store: DuckDbStore, opened: OpenedTable) {
    super(store, opened);
    this.duck = store;
  }

  private get target(): string {
    return this.duck.qualified(this.opened.target);
  }

  private get pageTableName(): string {
    // temp.main, not temp: a schema a user named "temp" in the file would make `temp.` mean either.
    return `temp.main.${quote(this.pageTable)}`;
  }

  protected async writePage(rows: Row[], syncId: number, checkpoint: Checkpoint | undefined): Promise<WriteCounts> {
    await this.ahead?.filling;
    await this.ensurePageTable();
    return this.duck.withMemory(() => this.writeSegments(rows, syncId, checkpoint));
  }

  private writeSegments(rows: Row[], syncId: number, checkpoint: Checkpoint | undefined): Promise<WriteCounts> {
    return this.duck.transaction(async () => {
      const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
      const keyed = this.opened.keyColumns.length > 0;
      const segments =
        this.ahead?.rows === rows ? [{ rows, delete: false }] : pageSegments(rows, this.opened.spec.primaryKey);
      for (const [index, segment] of segments.entries()) {
        // The page table is empty at each BEGIN: the last segment's rows go with the COMMIT, a rollback drops them.
        if (index > 0) await this.duck.execute(`DELETE FROM ${this.pageTableName}`);
        await this.append(segment.rows);
        if (!keyed) {
          await this.duck.execute(
            `INSERT INTO ${this.target} (${this.columns.map((c) => quote(c.column)).join(", ")}, ${quote(SYNC_ID_COLUMN)}) ${this.selectPage(syncId)}`,
          );
          counts.inserted += segment.rows.length;
        } else if (segment.delete) counts.deleted = (counts.deleted ?? 0) + (await this.deleteKeys());
        else {
          const merged = await this.merge(syncId, segment.rows.length);
          counts.inserted += merged.inserted;
          counts.updated += merged.updated;
          counts.unchanged += segment.rows.length - merged.inserted - merged.updated;
        }
      }
      if (checkpoint) await this.duck.saveCheckpoint(checkpoint);
      return counts;
    }, `DELETE FROM ${this.pageTableName};`);
  }

  /** The page table's rows as the table's columns (timestamps cast from their text), with the sync id. */
  private selectPage(syncId: number): string {
    const values = this.columns.map((c) =>
      c.type === "timestamp" ? `CAST(${quote(c.column)} AS TIMESTAMPTZ)` : quote(c.column),
    );
    return `SELECT ${values.join(", ")}, ${syncId}::BIGINT FROM ${this.pageTableName}`;
  }

  upcoming(rows: Row[]): void {
    if (rows.length > MOST_ROWS_AHEAD) return;
    this.announced = rows;
    // Once the statements started this turn are on their way: the point is to append while DuckDB works.
    setImmediate(() => this.appendAhead());
  }

  /** Appends the announced page into the waiting appender, when both are there. */
  private appendAhead(): void {
    const { announced: rows, ahead } = this;
    // A page table about to be made again (columns added or widened) waits for the page's write.
    if (!rows || !ahead || ahead.rows || ahead.filling || !this.pageTableReady) return;
    this.announced = undefined;
    // A page of several segments (deletes, a key twice) is cut up by its write.
    const [segment, more] = pageSegments(rows, this.opened.spec.primaryKey);
    if (more || segment?.delete !== false) return;
    ahead.filling = this.fillAhead(ahead, rows);
  }

  /**
   * Fills the waiting appender a slice at a time, each in a turn of its own, so that DuckDB's replies
   * (the running merge done) are taken between slices: appended in one go (about 13 ms for 5000 rows),
   * the next statement waited for the whole page while DuckDB's thread sat idle. Alternated syncs of
   * 1M records: 2–5 % faster with slices of 1000 rows (250, 500 and 2500 were slower).
   */
  private async fillAhead(ahead: NonNullable<DuckDbTable["ahead"]>, rows: Row[]): Promise<void> {
    try {
      for (let from = 0; from < rows.length; from += AHEAD_SLICE_ROWS) {
        await nextTurn();
        // Let go of (close, columns changed) while it waited.
        if (this.ahead !== ahead) return;
        this.fill(ahead.appender, rows, from, Math.min(from + AHEAD_SLICE_ROWS, rows.length));
      }
      ahead.rows = rows;
    } catch {
      // A value its column cannot hold (or any other fault): the page's own write meets it again, and handles it.
      if (this.ahead === ahead) ahead.appender.clear();
    } finally {
      ahead.filling = undefined;
    }
  }

  /**
   * Appends a segment's rows to the page table (or flushes them when they were appended ahead), then
   * readies an appender for the next page, before the merge starts: creating one uses the connection.
   */
  private async append(rows: Row[]): Promise<void> {
    const ahead = this.ahead?.rows === rows ? this.ahead.appender : undefined;
    if (ahead) this.ahead = undefined;
    const appender = ahead ?? (await this.newAppender());
    try {
      if (!ahead) this.fill(appender, rows);
      appender.flushSync();
    } catch (error) {
      appender.clear();
      throw error;
    } finally {
      appender.closeSync();
    }
    if (!this.ahead) this.ahead = { appender: await this.newAppender() };
    setImmediate(() => this.appendAhead());
  }

  private async newAppender(): Promise<DuckDBAppender> {
    const connection = await this.duck.connect();
    return connection.createAppender(this.pageTable, "main", "temp");
  }

  /** Appends rows (those from `from` up to `to`) to an appender of the page table; a value its column cannot hold throws a Misfit. */
  private fill(appender: DuckDBAppender, rows: Row[], from = 0, to = rows.length): void {
    const appends = this.columns.map((c) => APPENDERS[c.type]);
    const fields = this.columns.map((c) => c.field);
    for (let index = from; index < to; index++) {
      const row = rows[index];
      for (let c = 0; c < fields.length; c++) {
        const value = row[fields[c]];
        if (value === null || value === undefined) appender.appendNull();
        else appends[c](appender, value, c);
      }
      appender.endRow();
    }
  }

  /** Lets go of the appender waiting for the next page, and of what it holds. */
  release(): void {
    this.ahead?.appender.clear();
    this.ahead?.appender.closeSync();
    this.ahead = undefined;
  }

  private async ensurePageTable(): Promise<void> {
    if (this.pageTableReady) return;
    // Its appender (and the page in it) fits the page table as it was.
    this.release();
    await this.duck.run(`DROP TABLE IF EXISTS ${this.pageTableName}`);
    const columns = this.columns.map(
      (c) => `${quote(c.column)} ${c.type === "timestamp" ? "VARCHAR" : DUCK_TYPES[c.type]}`,
    );
    await this.duck.run(`CREATE TEMPORARY TABLE ${quote(this.pageTable)} (${columns.join(", ")})`);
    this.pageTableReady = true;
  }

  /**
   * Merges the page table into the table. While keys come new (a first sync, appended records), a plain
   * insert that skips existing keys goes first: it returns no rows, and RETURNING cost a quarter of the
   * merge. Only when some keys existed does the upsert run (the rows just inserted meet themselves in it,
   * unchanged), and it keeps running first until a page comes all new again.
   */
  private async merge(syncId: number, rows: number): Promise<{ inserted: number; updated: number }> {
    const keys = this.opened.keyColumns;
    const names = this.columns.map((c) => quote(c.column));
    const into =
      `INSERT INTO ${this.target} AS t (${names.join(", ")}, ${quote(SYNC_ID_COLUMN)}) ${this.selectPage(syncId)} ` +
      `ON CONFLICT (${keys.map(quote).join(", ")})`;
    // A table of key columns alone has nothing to update.
    const updatable = this.columns.filter((c) => !keys.includes(c.column)).map((c) => quote(c.column));
    let inserted = 0;
    if (this.expectNew || updatable.length === 0) {
      inserted = Number((await this.duck.execute(`${into} DO NOTHING`)).rowsChanged);
      if (inserted === rows || updatable.length === 0) return { inserted, updated: 0 };
    }
    const upserted = await this.upsert(into, updatable);
    this.expectNew = upserted.inserted === rows;
    return { inserted: inserted + upserted.inserted, updated: upserted.updated };
  }

  /** The upsert: changed rows updated (their version raised), new ones inserted; RETURNING tells which. */
  private async upsert(into: string, values: string[]): Promise<{ inserted: number; updated: number }> {
    const version = quote(VERSION_COLUMN);
    const result = await this.duck.execute(
      `${into} DO UPDATE SET ${[...values, quote(SYNC_ID_COLUMN)].map((c) => `${c} = excluded.${c}`).join(", ")}, ` +
        `${version} = t.${version} + 1 ` +
        `WHERE (${values.map((c) => `t.${c}`).join(", ")}) IS DISTINCT FROM (${values.map((c) => `excluded.${c}`).join(", ")}) ` +
        `RETURNING ${version}`,
    );
    // Read chunk by chunk: a page's worth of one-value rows is not worth building as row arrays.
    let inserted = 0;
    let changed = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      changed += chunk.rowCount;
      for (const v of chunk.getColumnValues(0)) if (v === 1n) inserted++;
    }
    return { inserted, updated: changed - inserted };
  }

  private async deleteKeys(): Promise<number> {
    const matches = this.opened.keyColumns.map((key) => {
      const k = quote(key);
      const timestamp = this.columns.some((c) => c.column === key && c.type === "timestamp");
      return `t.${k} = ${timestamp ? `CAST(p.${k} AS TIMESTAMPTZ)` : `p.${k}`}`;
    });
    const deleted = await this.duck.execute(
      `DELETE FROM ${this.target} AS t USING ${this.pageTableName} AS p WHERE ${matches.join(" AND ")}`,
    );
    return deleted.rowsChanged;
  }

  async addColumns(columns: Column[]): Promise<void> {
    for (const c of columns)
      await this.duck.run(`ALTER TABLE ${this.target} ADD COLUMN ${quote(c.column)} ${DUCK_TYPES[c.type]}`);
    if (columns.length) this.pageTableReady = false;
  }

  async registerMappings(mappings: ColumnMapping[]): Promise<void> {
    for (const { field, column } of mappings)
      await this.duck.run(
        `INSERT OR REPLACE INTO ${this.duck.qualified("_sluice_columns")} (table_name, field, column_name) VALUES ($1, $2, $3)`,
        [this.opened.target, field, column],
      );
  }

  /**
   * DuckDB has no exact decimal of any size: integers beyond 64 bits go to
   * HUGEINT, integers meeting reals go to DOUBLE while every integer held is
   * exact in one, and anything else to text. Key columns cannot change type.
   */
  protected async widenColumn(column: Column, to: ColumnType): Promise<ColumnType> {
    let type = to;
    if (type === "numeric" && column.type === "real") type = "text";
    if (type === "numeric" && column.type === "integer" && to === widen("integer", "real")) {
      const [[largest]] = await this.duck.run(`SELECT max(abs(${quote(column.column)})) FROM ${this.target}`);
      type = largest === null || exactInDouble(BigInt(largest as bigint)) ? "real" : "text";
    }
    if (this.opened.keyColumns.includes(column.column))
      throw new StoreError(
        this.duck.location,
        `stream "${this.opened.spec.stream}": key field "${column.field}" has a value its ${DUCK_TYPES[column.type]} column cannot hold, and DuckDB cannot change a key column's type`,
      );
    const name = quote(column.column);
    const using = type === "json" || type === "any" ? `to_json(${name})` : `${name}::${DUCK_TYPES[type]}`;
    await this.duck.withMemory(() =>
      this.duck.run(`ALTER TABLE ${this.target} ALTER COLUMN ${name} TYPE ${DUCK_TYPES[type]} USING ${using}`),
    );
    this.pageTableReady = false;
    return type;
  }

  protected async replaceTable(checkpoint: Checkpoint | undefined): Promise<void> {
    const { table, target, spec } = this.opened;
    const columns = this.duck.qualified("_sluice_columns");
    await this.duck.withMemory(() =>
      this.duck.transaction(async () => {
        await this.duck.run(`DROP TABLE IF EXISTS ${this.duck.qualified(table)}`);
        await this.duck.run(`ALTER TABLE ${this.duck.qualified(target)} RENAME TO ${quote(table)}`);
        await this.duck.run(`DELETE FROM ${columns} WHERE table_name = $1`, [table]);
        await this.duck.run(`UPDATE ${columns} SET table_name = $1 WHERE table_name = $2`, [table, target]);
        await this.duck.run(
          `UPDATE ${this.duck.qualified("_sluice_tables")} SET primary_key = $1 WHERE table_name = $2`,
          [JSON.stringify(spec.primaryKey), table],
        );
        if (checkpoint) await this.duck.saveCheckpoint(checkpoint);
      }),
    );
  }
}

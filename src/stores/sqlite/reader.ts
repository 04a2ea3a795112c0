/**
 * SELECTs over a SQLite store on a read-only connection; only statements
 * SQLite calls read-only readers run, and none whose compiled program opens
 * a meta table or index (page 1 is sqlite_schema) wherever the statement
 * names it, nor a table-valued pragma function (which names tables by text).
 */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { quoteIdentifier as quote } from "../naming.js";
import {
  BATCH_ROWS,
  isBookkeeping,
  isMetaTable,
  MetaTableRead,
  type SelectResult,
  SelectRefusedError,
  type StoreReader,
} from "../reader.js";
import { StoreError, StoreNotFoundError } from "../types.js";

export class SqliteReader implements StoreReader {
  private constructor(
    readonly location: string,
    private readonly db: Database.Database,
  ) {}

  static open(file: string): SqliteReader {
    const location = resolve(file);
    if (!existsSync(location)) throw new StoreNotFoundError(location, "the file does not exist");
    try {
      return new SqliteReader(location, new Database(location, { readonly: true, fileMustExist: true }));
    } catch (error) {
      throw new StoreError(location, `cannot open it read-only (${(error as Error).message}); check --db`, error);
    }
  }

  async tables(): Promise<string[]> {
    const rows = this.db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name").all();
    return (rows as { name: string }[]).map((r) => r.name).filter((name) => !isMetaTable(name));
  }

  async findTable(name: string): Promise<string | undefined> {
    const match = this.db
      .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE")
      .get(name) as { name: string } | undefined;
    return match && !isMetaTable(match.name) ? match.name : undefined;
  }

  async select(table: string, columns: string, rest: string): Promise<SelectResult> {
    const info = this.db.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string; pk: number }[];
    const visible = info.filter((c) => !isBookkeeping(c.name)).map((c) => quote(c.name));
    const list = columns === "*" && visible.length ? visible.join(", ") : columns;
    const sql = `SELECT ${list} FROM ${quote(table)} ${rest}`;
    let prepared: Database.Statement;
    try {
      prepared = this.db.prepare(sql);
    } catch (error) {
      throw new SelectRefusedError(`SQLite cannot run it: ${(error as Error).message}`);
    }
    if (!prepared.reader || !prepared.readonly) throw new SelectRefusedError("only queries that read are allowed");
    this.refuseMetaReads(sql);
    const keys = new Set(info.filter((c) => c.pk > 0).map((c) => c.name));
    const resultColumns = prepared.columns().map((c) => ({
      name: c.name,
      type: c.type,
      key: c.table === table && c.column !== null && keys.has(c.column),
    }));
    const rows = prepared.raw(true).safeIntegers(true).iterate() as IterableIterator<unknown[]>;
    return { columns: resultColumns, batches: batchesOf(rows) };
  }

  private refuseMetaReads(sql: string): void {
    if (PRAGMA_FUNCTION.test(sql.replace(/'(?:[^']|'')*'/g, "''")))
      throw new MetaTableRead("table-valued pragma functions");
    const schema = this.db.prepare("SELECT rootpage, tbl_name FROM sqlite_schema WHERE rootpage > 0").all() as {
      rootpage: number;
      tbl_name: string;
    }[];
    const hidden = new Set([
      1,
      ...schema.filter((entry) => isMetaTable(entry.tbl_name)).map((entry) => entry.rootpage),
    ]);
    const program = this.db.prepare(`EXPLAIN ${sql}`).all() as { opcode: string; p2: number; p3: number }[];
    // p3 is the database: 0 is main; another (temp, an attached one) is not the store.
    if (
      program.some(
        (op) => (op.opcode === "OpenRead" || op.opcode === "ReopenIdx") && (op.p3 !== 0 || hidden.has(op.p2)),
      )
    )
      throw new MetaTableRead();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** `pragma_table_info('_sluice_state')` and its kin, quoted or not, outside string literals. */
const PRAGMA_FUNCTION = /(^|[^\w$])["`[]?pragma_/i;

async function* batchesOf(rows: IterableIterator<unknown[]>): AsyncGenerator<unknown[][]> {
  try {
    let batch: unknown[][] = [];
    for (const row of rows) {
      batch.push(row);
      if (batch.length === BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  } finally {
    rows.return?.();
  }
}

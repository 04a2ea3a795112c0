/** SELECTs over a SQLite store on a read-only connection; only statements SQLite calls read-only readers run. */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { quoteIdentifier as quote } from "../naming.js";
import { BATCH_ROWS, isBookkeeping, type SelectResult, SelectRefusedError, type StoreReader } from "../reader.js";
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
    return (rows as { name: string }[]).map((r) => r.name);
  }

  async findTable(name: string): Promise<string | undefined> {
    const match = this.db
      .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE")
      .get(name) as { name: string } | undefined;
    return match?.name;
  }

  async select(table: string, columns: string, rest: string): Promise<SelectResult> {
    const info = this.db.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string; pk: number }[];
    const visible = info.filter((c) => !isBookkeeping(c.name)).map((c) => quote(c.name));
    const list = columns === "*" && visible.length ? visible.join(", ") : columns;
    let prepared: Database.Statement;
    try {
      prepared = this.db.prepare(`SELECT ${list} FROM ${quote(table)} ${rest}`);
    } catch (error) {
      throw new SelectRefusedError(`SQLite cannot run it: ${(error as Error).message}`);
    }
    if (!prepared.reader || !prepared.readonly) throw new SelectRefusedError("only queries that read are allowed");
    const keys = new Set(info.filter((c) => c.pk > 0).map((c) => c.name));
    const resultColumns = prepared.columns().map((c) => ({
      name: c.name,
      type: c.type,
      key: c.table === table && c.column !== null && keys.has(c.column),
    }));
    const rows = prepared.raw(true).safeIntegers(true).iterate() as IterableIterator<unknown[]>;
    return { columns: resultColumns, batches: batchesOf(rows) };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

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

/**
 * SELECT statements over the store, on a read-only connection of their own
 * (better-sqlite3 `readonly: true`; the prepared statement must also be a
 * read-only query), rows pulled one at a time with `.iterate()` so a table of
 * any size streams in bounded memory.
 */
import Database from "better-sqlite3";
import { SluiceError } from "../../errors.js";
import { type Cell, toCell } from "../../protocol/cells.js";
import type { FieldInfo } from "../../protocol/gen/qlik/connect/data_connector.js";
import type { RowSink } from "./chunk-stream.js";
import { fieldFromDeclaredType } from "./fields.js";
import { type SqlStatement, StatementError } from "./statement.js";

/** Columns Sluice adds to every table it writes; `*` leaves them out. */
const BOOKKEEPING = new Set(["_sluice_sync_id", "_sluice_version"]);
/** Rows handed to the sink at a time. */
const BATCH_ROWS = 512;

export class TableNotFoundError extends SluiceError {
  constructor(table: string, location: string, tables: string[]) {
    const known = tables.length
      ? `; it has ${tables.slice(0, 20).join(", ")}${tables.length > 20 ? ", …" : ""}`
      : "; it has no tables";
    super("QLIK_TABLE_NOT_FOUND", `no table or view "${table}" in ${location}${known}`);
  }
}

export class StoreUnavailableError extends SluiceError {
  constructor(location: string, problem: string) {
    super("STORE_FAILED", `store ${location}: ${problem}`);
  }
}

export function openReadOnly(file: string): Database.Database {
  try {
    return new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new StoreUnavailableError(file, `cannot open it read-only (${(error as Error).message}); check --db`);
  }
}

export async function readStore(file: string, statement: SqlStatement, sink: RowSink): Promise<void> {
  const db = openReadOnly(file);
  try {
    const table = findTable(db, file, statement.table);
    const info = db.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string; pk: number }[];
    const prepared = prepare(db, statement, table, info);
    const keys = new Set(info.filter((c) => c.pk > 0).map((c) => c.name));
    const fields: FieldInfo[] = prepared
      .columns()
      .map((c) => fieldFromDeclaredType(c.name, c.type, c.table === table && c.column !== null && keys.has(c.column)));
    sink.header({ fieldInfo: fields, tableName: table });
    await streamRows(prepared.iterate() as IterableIterator<unknown[]>, sink);
  } finally {
    db.close();
  }
}

async function streamRows(rows: IterableIterator<unknown[]>, sink: RowSink): Promise<void> {
  let batch: Cell[][] = [];
  try {
    for (const values of rows) {
      batch.push(values.map(toCell));
      if (batch.length === BATCH_ROWS) {
        const more = await sink.rows(batch);
        batch = [];
        if (!more) return;
      }
    }
    if (batch.length) await sink.rows(batch);
  } finally {
    rows.return?.();
  }
}

function findTable(db: Database.Database, file: string, name: string): string {
  const match = db
    .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE")
    .get(name) as { name: string } | undefined;
  if (match) return match.name;
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name").all() as {
    name: string;
  }[];
  throw new TableNotFoundError(
    name,
    file,
    tables.map((t) => t.name),
  );
}

function prepare(
  db: Database.Database,
  statement: SqlStatement,
  table: string,
  info: { name: string }[],
): Database.Statement {
  const columns = statement.columns === "*" ? starColumns(info) : statement.columns;
  const sql = `SELECT ${columns} FROM ${quote(table)} ${statement.rest}`;
  let prepared: Database.Statement;
  try {
    prepared = db.prepare(sql);
  } catch (error) {
    throw new StatementError(`SQLite cannot run it: ${(error as Error).message}`);
  }
  if (!prepared.reader || !prepared.readonly) throw new StatementError("only queries that read are allowed");
  return prepared.raw(true);
}

function starColumns(info: { name: string }[]): string {
  const visible = info.filter((c) => !BOOKKEEPING.has(c.name));
  return visible.length ? visible.map((c) => quote(c.name)).join(", ") : "*";
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

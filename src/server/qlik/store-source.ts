/**
 * SELECT statements over the store — SQLite, PostgreSQL or DuckDB — through
 * the store's read-only reader (a read-only connection or transaction per
 * call), rows streamed in batches so a table of any size goes out in
 * bounded memory. Runs in the query's own process (query-process.ts).
 * Sluice's tables and the database's catalog are not data: the readers
 * neither list nor read them (src/stores/reader.ts).
 */
import { openStoreReader, SelectRefusedError } from "../../engine/index.js";
import { SluiceError } from "../../errors.js";
import { toCell } from "../../protocol/cells.js";
import type { RowSink } from "./chunk-stream.js";
import { fieldFromDeclaredType } from "./fields.js";
import { type SqlStatement, StatementError } from "./statement.js";

/** The store `sluice serve qlik --db` reads. */
export interface StoreTarget {
  /** As --db gives it: a SQLite file, postgres://… or duckdb:<file>. */
  location: string;
  schema?: string;
}

/** Told to the client: names the served tables, not where the store lives on the server. */
export class TableNotFoundError extends SluiceError {
  constructor(table: string, tables: string[]) {
    const known = tables.length
      ? `; it has ${tables.slice(0, 20).join(", ")}${tables.length > 20 ? ", …" : ""}`
      : "; it has no tables";
    super("QLIK_TABLE_NOT_FOUND", `no table or view "${table}" in the served store${known}`);
  }
}

/** Opens and closes the store once: a store that cannot be read fails the server's start, not its first call. */
export async function checkStore(store: StoreTarget): Promise<void> {
  await (await openStoreReader(store.location, { schema: store.schema })).close();
}

export async function readStore(store: StoreTarget, statement: SqlStatement, sink: RowSink): Promise<void> {
  const reader = await openStoreReader(store.location, { schema: store.schema });
  try {
    const table = await reader.findTable(statement.table);
    if (!table) throw new TableNotFoundError(statement.table, await reader.tables());
    const result = await reader.select(table, statement.columns, statement.rest).catch((error: unknown) => {
      throw error instanceof SelectRefusedError ? new StatementError(error.message) : error;
    });
    sink.header({
      fieldInfo: result.columns.map((c) => fieldFromDeclaredType(c.name, c.type, c.key)),
      tableName: table,
    });
    for await (const batch of result.batches) if (!(await sink.rows(batch.map((row) => row.map(toCell))))) break;
  } finally {
    await reader.close();
  }
}

/**
 * SELECTs over a DuckDB store, on an instance opened READ_ONLY (so nothing
 * can write), rows streamed chunk by chunk. Big integers come back as
 * bigints, timestamps as ISO 8601, JSON as text. The instance has no
 * external access (no read_csv('/etc/…'), no extensions), and a statement
 * whose plan scans a meta table or calls a catalog function is refused.
 */
import { existsSync } from "node:fs";
import { quoteIdentifier as quote } from "../naming.js";
import {
  isBookkeeping,
  isMetaTable,
  MetaTableRead,
  type SelectResult,
  SelectRefusedError,
  type StoreReader,
} from "../reader.js";
import { StoreError, StoreNotFoundError } from "../types.js";
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "./binding.js";

/** A DuckDB value as the reader hands it out. */
function plainValue(value: DuckDBValue): unknown {
  if (value === null || typeof value !== "object") return value;
  const text = String(value);
  // Timestamps print as "2024-01-31 08:00:00+00"; other values (decimals, lists) as their text.
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?(\+00)?$/.test(text)
    ? text.replace(" ", "T").replace(/\+00$/, "Z")
    : text;
}

/** Table functions that describe the database (duckdb_tables(), pragma_table_info(…), sqlite_master …). */
const CATALOG_FUNCTION = /^(duckdb_|pragma_|sqlite_|information_schema)/i;

/** Whether an EXPLAIN (FORMAT JSON) plan (views expanded) scans a meta table or calls a catalog function. */
function readsMeta(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(readsMeta);
  if (typeof node !== "object" || node === null) return false;
  const { children, extra_info: info } = node as { children?: unknown; extra_info?: Record<string, unknown> };
  const table = typeof info?.Table === "string" ? info.Table.split(".").pop() : undefined;
  const fn = typeof info?.Function === "string" ? info.Function : "";
  return (table !== undefined && isMetaTable(table)) || CATALOG_FUNCTION.test(fn) || readsMeta(children);
}

export class DuckDbReader implements StoreReader {
  private constructor(
    readonly location: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly schema: string,
  ) {}

  static async open(file: string, schema = "main"): Promise<DuckDbReader> {
    const location = `duckdb:${file}`;
    if (!existsSync(file)) throw new StoreNotFoundError(location, "the file does not exist");
    try {
      const instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY", enable_external_access: "false" });
      return new DuckDbReader(location, instance, await instance.connect(), schema);
    } catch (error) {
      throw new StoreError(location, `cannot open it read-only (${(error as Error).message}); check --db`, error);
    }
  }

  private async run(sql: string, values?: string[]): Promise<unknown[][]> {
    return (await (await this.connection.run(sql, values)).getRows()) as unknown[][];
  }

  async tables(): Promise<string[]> {
    const rows = await this.run(
      "SELECT table_name FROM duckdb_tables() WHERE schema_name = $1 AND NOT internal UNION SELECT view_name FROM duckdb_views() WHERE schema_name = $1 AND NOT internal ORDER BY 1",
      [this.schema],
    );
    return rows.map((r) => String(r[0])).filter((name) => !isMetaTable(name));
  }

  async findTable(name: string): Promise<string | undefined> {
    const tables = await this.tables();
    return tables.find((t) => t === name) ?? tables.find((t) => t.toLowerCase() === name.toLowerCase());
  }

  async select(table: string, columns: string, rest: string): Promise<SelectResult> {
    const info = await this.run(
      "SELECT column_name FROM duckdb_columns() WHERE schema_name = $1 AND table_name = $2 ORDER BY column_index",
      [this.schema, table],
    );
    const keyRows = await this.run(
      "SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE schema_name = $1 AND table_name = $2 AND constraint_type = 'PRIMARY KEY'",
      [this.schema, table],
    );
    const keys = new Set(keyRows.map((r) => String(r[0])));
    const visible = info
      .map((r) => String(r[0]))
      .filter((c) => !isBookkeeping(c))
      .map(quote);
    const list = columns === "*" && visible.length ? visible.join(", ") : columns;
    const sql = `SELECT ${list} FROM ${quote(this.schema)}.${quote(table)} ${rest}`;
    let result: Awaited<ReturnType<DuckDBConnection["stream"]>>;
    try {
      if (await this.readsMeta(sql)) throw new MetaTableRead();
      result = await this.connection.stream(sql);
    } catch (error) {
      if (error instanceof SelectRefusedError) throw error;
      throw new SelectRefusedError(`DuckDB cannot run it: ${(error as Error).message}`);
    }
    const names = result.columnNames();
    const types = result.columnTypes();
    const resultColumns = names.map((name, i) => ({ name, type: String(types[i]), key: keys.has(name) }));
    return { columns: resultColumns, batches: batches(result) };
  }

  /** The plan unoptimised: the optimiser answers count(*) from statistics, and the table would drop out of the plan. */
  private async readsMeta(sql: string): Promise<boolean> {
    await this.run("PRAGMA disable_optimizer");
    try {
      const plan = await this.run(`EXPLAIN (FORMAT JSON) ${sql}`);
      return plan.some((row) => readsMeta(JSON.parse(String(row[1]))));
    } finally {
      await this.run("PRAGMA enable_optimizer");
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

async function* batches(result: Awaited<ReturnType<DuckDBConnection["stream"]>>): AsyncGenerator<unknown[][]> {
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk())
    yield chunk.getRows().map((row) => row.map(plainValue));
}

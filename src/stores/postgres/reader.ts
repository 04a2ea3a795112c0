/**
 * SELECTs over a PostgreSQL store: a READ ONLY transaction, the statement
 * sent alone (the extended protocol runs one statement), rows fetched 512 at
 * a time from a cursor. int8 comes back as a bigint, numeric and json as
 * text, timestamps as ISO 8601. A statement whose plan reads a meta table
 * (in any schema) or the catalog (pg_catalog, information_schema) is refused.
 */
import pg from "pg";
import type { StoreLocation } from "../location.js";
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
import { StoreNotFoundError } from "../types.js";
import { connectPostgres, postgresError } from "./connection.js";
import { DEFAULT_SCHEMA } from "./store.js";

const { builtins } = pg.types;

/** PostgreSQL's timestamp text ("2024-01-31 08:00:00.5+00") as ISO 8601. */
const isoTimestamp = (text: string): string => text.replace(" ", "T").replace(/\+00$/, "Z");

const READ_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    switch (oid) {
      case builtins.INT8:
        return (text: string) => BigInt(text);
      case builtins.NUMERIC:
      case builtins.JSON:
      case builtins.JSONB:
      case builtins.DATE:
        return (text: string) => text;
      case builtins.TIMESTAMPTZ:
      case builtins.TIMESTAMP:
        return isoTimestamp;
      default:
        return pg.types.getTypeParser(oid, format);
    }
  }) as typeof pg.types.getTypeParser,
};

const TYPE_NAMES: Record<number, string> = {
  [builtins.INT8]: "BIGINT",
  [builtins.INT4]: "INTEGER",
  [builtins.INT2]: "SMALLINT",
  [builtins.FLOAT8]: "DOUBLE PRECISION",
  [builtins.FLOAT4]: "REAL",
  [builtins.NUMERIC]: "NUMERIC",
  [builtins.BOOL]: "BOOLEAN",
  [builtins.TIMESTAMPTZ]: "TIMESTAMP WITH TIME ZONE",
  [builtins.TIMESTAMP]: "TIMESTAMP",
  [builtins.DATE]: "DATE",
  [builtins.TIME]: "TIME",
  [builtins.TEXT]: "TEXT",
  [builtins.VARCHAR]: "VARCHAR",
  [builtins.JSONB]: "JSONB",
  [builtins.JSON]: "JSON",
};

const CATALOG_SCHEMAS = new Set(["pg_catalog", "information_schema", "pg_toast"]);

/** Whether an EXPLAIN (FORMAT JSON) plan (views expanded, subplans included) scans a meta table or the catalog. */
function readsMeta(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(readsMeta);
  if (typeof node !== "object" || node === null) return false;
  const fields = node as Record<string, unknown>;
  const relation = fields["Relation Name"];
  if (typeof relation === "string" && (isMetaTable(relation) || CATALOG_SCHEMAS.has(String(fields.Schema))))
    return true;
  return Object.values(fields).some((value) => typeof value === "object" && readsMeta(value));
}

export class PostgresReader implements StoreReader {
  private constructor(
    readonly location: string,
    private readonly client: pg.Client,
    private readonly schema: string,
  ) {}

  static async open(
    location: Extract<StoreLocation, { kind: "postgres" }>,
    schema = DEFAULT_SCHEMA,
  ): Promise<PostgresReader> {
    const client = await connectPostgres(location, { types: READ_TYPES, applicationName: "sluice (read)" });
    const reader = new PostgresReader(location.display, client, schema);
    if (!(await reader.allTables()).includes("_sluice_syncs")) {
      await reader.close();
      throw new StoreNotFoundError(location.display, `schema "${schema}" has no Sluice tables`);
    }
    return reader;
  }

  async tables(): Promise<string[]> {
    return (await this.allTables()).filter((name) => !isMetaTable(name));
  }

  private async allTables(): Promise<string[]> {
    const result = await this.client.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1",
      [this.schema],
    );
    return result.rows.map((r) => r.name);
  }

  async findTable(name: string): Promise<string | undefined> {
    const tables = await this.tables();
    return tables.find((t) => t === name) ?? tables.find((t) => t.toLowerCase() === name.toLowerCase());
  }

  async select(table: string, columns: string, rest: string): Promise<SelectResult> {
    const qualified = `${quote(this.schema)}.${quote(table)}`;
    const info = await this.client.query<{ name: string; key: boolean; number: number; relid: number }>(
      `SELECT a.attname AS name, a.attnum AS number, a.attrelid::int AS relid,
              COALESCE(a.attnum = ANY (i.indkey::int2[]), false) AS key
         FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [qualified],
    );
    const visible = info.rows.filter((c) => !isBookkeeping(c.name)).map((c) => quote(c.name));
    const list = columns === "*" && visible.length ? visible.join(", ") : columns;
    const keys = new Set(info.rows.filter((c) => c.key).map((c) => `${c.relid}:${c.number}`));
    const sql = `SELECT ${list} FROM ${qualified} ${rest}`;
    await this.client.query("BEGIN READ ONLY");
    try {
      const plan = await this.client.query({ text: `EXPLAIN (VERBOSE, FORMAT JSON) ${sql}`, values: [] });
      const text = plan.rows[0]?.["QUERY PLAN"];
      if (readsMeta(typeof text === "string" ? JSON.parse(text) : text)) throw new MetaTableRead();
      await this.client.query({ text: `DECLARE sluice_read NO SCROLL CURSOR FOR ${sql}`, values: [] });
    } catch (error) {
      await this.client.query("ROLLBACK").catch(() => {});
      if (error instanceof SelectRefusedError) throw error;
      throw new SelectRefusedError(`PostgreSQL cannot run it: ${(error as Error).message}`);
    }
    const first = await this.fetch();
    const resultColumns = first.fields.map((f) => ({
      name: f.name,
      type: TYPE_NAMES[f.dataTypeID] ?? null,
      key: keys.has(`${f.tableID}:${f.columnID}`),
    }));
    return { columns: resultColumns, batches: this.batches(first) };
  }

  private fetch(): Promise<pg.QueryArrayResult> {
    return this.client.query({ text: `FETCH ${BATCH_ROWS} FROM sluice_read`, rowMode: "array" });
  }

  private async *batches(first: pg.QueryArrayResult): AsyncGenerator<unknown[][]> {
    try {
      let result = first;
      while (result.rows.length) {
        yield result.rows;
        if (result.rows.length < BATCH_ROWS) break;
        result = await this.fetch();
      }
    } catch (error) {
      throw postgresError(this.location, this.client, error);
    } finally {
      await this.client.query("ROLLBACK").catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

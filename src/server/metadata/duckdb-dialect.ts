/**
 * Kysely over a DuckDB store, for the data browser's reads: statements
 * compiled as for PostgreSQL (DuckDB reads the same quoting, $n parameters
 * and information_schema) and run on the store's connection, which shares
 * the file's one DuckDB instance with the syncs of this process (see
 * src/stores/duckdb/instances.ts). No transactions: each read is one
 * statement, and nothing here writes.
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from "kysely";
import type { DuckDbStore } from "../../stores/duckdb/store.js";
import type { SqlValue } from "../../stores/sql-store.js";

export function duckDbDialect(store: DuckDbStore): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DuckDbDriver(store),
    createQueryCompiler: () => new PostgresQueryCompiler(),
    // biome-ignore lint/suspicious/noExplicitAny: Kysely's own signature
    createIntrospector: (db: Kysely<any>) => new PostgresIntrospector(db),
  };
}

class DuckDbDriver implements Driver {
  private readonly connection: DatabaseConnection;

  constructor(private readonly store: DuckDbStore) {
    this.connection = {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => ({
        rows: await store.rows<R>(query.sql, query.parameters as SqlValue[]),
      }),
      streamQuery: () => {
        throw new Error("the DuckDB browser does not stream");
      },
    };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }

  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.store.close();
  }
}

/**
 * One way to open a store from what `--db` says (see location.ts). A store
 * opened for writing creates its file, schema or tables only when the first
 * write comes; one opened read-only never creates anything and refuses a
 * store that does not exist. The PostgreSQL and DuckDB clients load only
 * when used (DuckDB's engine is a large native library).
 */
import { checkDatabaseFile, parseStoreLocation } from "./location.js";
import { SqliteStore } from "./sqlite/store.js";
import { type Store, StoreNotFoundError } from "./types.js";

export interface OpenStoreOptions {
  /** PostgreSQL schema (default "sluice"), DuckDB schema (default "main"); SQLite has none. */
  schema?: string;
  /** Only read: create nothing, and refuse a store that does not exist. */
  readOnly?: boolean;
  /** Told about risky but allowed choices (a password inside a URL), and what a write should tell (Store.warn). */
  warn?: (message: string) => void;
}

export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  const store = await openLocation(location, options);
  store.warn = options.warn;
  return store;
}

async function openLocation(location: string, options: OpenStoreOptions): Promise<Store> {
  const parsed = parseStoreLocation(location);
  checkDatabaseFile(parsed);
  switch (parsed.kind) {
    case "sqlite":
      if (options.schema !== undefined)
        options.warn?.(`--schema ${options.schema} is ignored: a SQLite store has no schemas (${parsed.file})`);
      return SqliteStore.open(parsed.file, { readOnly: options.readOnly });
    case "duckdb": {
      const { DuckDbStore } = await import("./duckdb/store.js");
      return DuckDbStore.open(parsed.file, { readOnly: options.readOnly, schema: options.schema });
    }
    case "postgres": {
      const { PostgresStore } = await import("./postgres/store.js");
      const { ignoredSettings } = await import("./postgres/keywords.js");
      for (const note of ignoredSettings(parsed.url)) options.warn?.(note);
      if (parsed.passwordInUrl)
        options.warn?.(
          `the --db URL holds a password, which other users can see in the process list; use PGPASSWORD or ~/.pgpass instead (${parsed.display})`,
        );
      const store = await PostgresStore.open(parsed, { schema: options.schema });
      if (options.readOnly && !(await store.exists())) {
        await store.close();
        throw new StoreNotFoundError(store.location, `schema "${store.schema}" has no Sluice tables`);
      }
      return store;
    }
  }
}

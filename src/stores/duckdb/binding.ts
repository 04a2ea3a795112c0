/**
 * @duckdb/node-api, loaded with DuckDB's allocator (the jemalloc inside
 * libduckdb) set up: the only module that loads the library, so the setting
 * is in place before its first allocation. The Node binding runs each
 * statement on one of libuv's pool threads, and jemalloc gives each thread an
 * arena of its own that keeps freed pages for reuse: one arena for all of
 * them held 20 MB less at the same speed (bench/RESULTS.md, 2026-12-02).
 *
 * jemalloc reads the variable once, as the library loads; it then leaves the
 * environment again, so connectors started later do not inherit a setting
 * made for Sluice's process. DUCKDB_JE_MALLOC_CONF set by the user wins, and
 * stays.
 */
const ALLOCATOR_VARIABLE = "DUCKDB_JE_MALLOC_CONF";

const setHere = process.env[ALLOCATOR_VARIABLE] === undefined;
if (setHere) process.env[ALLOCATOR_VARIABLE] = "narenas:1";
const binding = await import("@duckdb/node-api");
if (setHere) delete process.env[ALLOCATOR_VARIABLE];

export const { DuckDBInstance } = binding;
export type DuckDBInstance = import("@duckdb/node-api").DuckDBInstance;
export type {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBMaterializedResult,
  DuckDBPreparedStatement,
  DuckDBValue,
} from "@duckdb/node-api";

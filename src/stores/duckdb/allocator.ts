/**
 * DuckDB's allocator (the jemalloc inside libduckdb), set before the library
 * first allocates: imported ahead of @duckdb/node-api by every module that
 * loads it. The Node binding runs each statement on one of libuv's pool
 * threads, and jemalloc gives each thread an arena of its own that keeps
 * freed pages for reuse: one arena for all of them held 20 MB less at the
 * same speed (bench/RESULTS.md, 2026-12-02). DUCKDB_JE_MALLOC_CONF set by the
 * user wins.
 */
process.env.DUCKDB_JE_MALLOC_CONF ??= "narenas:1";

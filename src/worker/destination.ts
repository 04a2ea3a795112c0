/**
 * Distributed mode writes only to PostgreSQL: the workers of a task queue run
 * on many machines and must all reach the one database, and a SQLite or
 * DuckDB file lives on one machine's disk.
 */
import { SluiceError } from "../errors.js";
import { parseStoreLocation } from "../stores/location.js";

export class DistributedStoreError extends SluiceError {
  constructor(where: string, location: string) {
    const kind = parseStoreLocation(location).kind === "duckdb" ? "a DuckDB" : "a SQLite";
    super(
      "DISTRIBUTED_STORE_REFUSED",
      `${where} is ${kind} file (${location}), which the workers on other machines cannot share: ` +
        "syncs through Temporal write to PostgreSQL; give a postgres://… URL",
    );
  }
}

/** The destination as the store opens it; throws DistributedStoreError for anything but PostgreSQL. */
export function requireSharedStore(location: string, where: string): string {
  if (parseStoreLocation(location).kind !== "postgres") throw new DistributedStoreError(where, location);
  return location;
}

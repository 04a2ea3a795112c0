/** The --db and --schema flags of every command that writes to or reads from the store, and opening it. */
import type { Command } from "commander";
import { openStore, type Store } from "../engine/index.js";
import type { CliContext } from "./context.js";

export interface StoreFlags {
  db: string;
  schema?: string;
}

export const DB_DESCRIPTION =
  "the store: a SQLite file, postgres://… (password via PGPASSWORD or ~/.pgpass) or duckdb:<file>";

export const STORE_HELP = `
Stores (--db): a SQLite file (default sluice.db), postgres://user@host:5432/db
(PG* variables, ~/.pgpass and libpq's service file, postgres://?service=name,
work; a password inside the URL works but shows in ps, so it is warned about; a
cluster's servers as postgres://user@db1,db2/db, and Sluice writes to the one
that takes writes), or duckdb:<file>. See docs/stores.md.`;

export function addStoreOptions(command: Command, readOnly = false): Command {
  return command
    .option("--db <location>", readOnly ? `${DB_DESCRIPTION}, opened read-only` : DB_DESCRIPTION, "sluice.db")
    .option("--schema <name>", 'PostgreSQL or DuckDB schema (default: "sluice" on PostgreSQL, "main" on DuckDB)');
}

/** Opens the store the flags name; read-only opens never create anything. */
export function openStoreFromFlags(ctx: CliContext, flags: StoreFlags, readOnly = false): Promise<Store> {
  return openStore(flags.db, { schema: flags.schema, readOnly, warn: (message) => ctx.logger.warn(message) });
}

/**
 * src/server/metadata — the application's tables (tokens, sessions,
 * connections, runs) in the same database as the data (`--db`), through
 * Kysely so one implementation runs on SQLite and PostgreSQL. Opening brings
 * the tables up to date (migrations); nothing else here knows SQL dialects.
 *
 * May import: src/errors.ts, src/stores (location parsing, connections).
 */
import Database from "better-sqlite3";
import { Kysely, type Migration, Migrator, SqliteDialect } from "kysely";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { messageOf, SluiceError } from "../../errors.js";
import { type DialectName, migrations } from "./migrations.js";
import type { MetadataSchema } from "./schema.js";

export type { MetadataSchema } from "./schema.js";
export type { DialectName } from "./migrations.js";

export type MetadataDb = Kysely<MetadataSchema>;

export interface Metadata {
  readonly db: MetadataDb;
  readonly dialect: DialectName;
  /** Where it lives, for messages (a path, or a URL without its password). */
  readonly location: string;
  close(): Promise<void>;
}

export class MetadataError extends SluiceError {
  constructor(location: string, problem: string, cause?: unknown) {
    super("METADATA_FAILED", `database ${location}: ${problem}`, { cause });
  }
}

/** Opens the metadata tables of the database at `location` (a SQLite file), creating them when missing. */
export async function openMetadata(location: string): Promise<Metadata> {
  if (/^postgres(ql)?:\/\//i.test(location))
    throw new MetadataError(
      location.replace(/:[^:@/]*@/, ":***@"),
      "PostgreSQL is not supported yet for the server's tables",
    );
  const file = resolve(location);
  const db = new Kysely<MetadataSchema>({ dialect: new SqliteDialect({ database: openSqlite(file) }) });
  const metadata: Metadata = { db, dialect: "sqlite", location: file, close: () => db.destroy() };
  await migrate(metadata);
  return metadata;
}

function openSqlite(file: string): Database.Database {
  try {
    mkdirSync(dirname(file), { recursive: true });
    // Created owner-only: the database holds token hashes and encrypted secrets.
    if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
    const database = new Database(file);
    database.pragma("journal_mode = WAL");
    database.pragma("busy_timeout = 5000");
    database.pragma("foreign_keys = ON");
    return database;
  } catch (error) {
    throw new MetadataError(file, `cannot open it: ${messageOf(error)}`, error);
  }
}

async function migrate(metadata: Metadata): Promise<void> {
  const all = migrations(metadata.dialect);
  const migrator = new Migrator({
    db: metadata.db,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => all },
    migrationTableName: "_sluice_migrations",
    migrationLockTableName: "_sluice_migrations_lock",
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await metadata.close();
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new MetadataError(
      metadata.location,
      `cannot bring the server's tables up to date${failed ? ` (migration ${failed})` : ""}: ${messageOf(error)}`,
      error,
    );
  }
}

/** Now, as the metadata tables store times. */
export function now(): string {
  return new Date().toISOString();
}

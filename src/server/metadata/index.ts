/**
 * src/server/metadata — the application's tables (tokens, sessions,
 * connections, runs) in the same database as the data (`--db`), through
 * Kysely so one implementation runs on SQLite and PostgreSQL. Opening brings
 * the tables up to date (migrations); nothing else here knows SQL dialects.
 *
 * May import: src/errors.ts, src/stores (location parsing, connections).
 */
import { type Kysely, type Migration, Migrator } from "kysely";
import { messageOf, SluiceError } from "../../errors.js";
import { checkDatabaseFile, parseStoreLocation } from "../../stores/location.js";
import { type OpenedDatabase, openDatabase } from "./database.js";
import { migrations } from "./migrations.js";
import type { MetadataSchema } from "./schema.js";

export type { MetadataSchema } from "./schema.js";
export type { DialectName } from "./migrations.js";
export { type BrowsedDatabase, type OpenedDatabase, openDatabase, openDuckDbForBrowsing } from "./database.js";

export type MetadataDb = Kysely<MetadataSchema>;

export interface Metadata extends OpenedDatabase<MetadataSchema> {
  /** The database as `--db` named it: where the default destination's store opens. */
  readonly store: string;
}

export class MetadataError extends SluiceError {
  constructor(location: string, problem: string, cause?: unknown) {
    super("METADATA_FAILED", `database ${location}: ${problem}`, { cause });
  }
}

/**
 * Opens the metadata tables of the database `--db` names (a SQLite file, or
 * PostgreSQL in the store's schema), creating them when missing.
 */
export async function openMetadata(location: string): Promise<Metadata> {
  const parsed = parseStoreLocation(location);
  checkDatabaseFile(parsed);
  if (parsed.kind === "duckdb")
    throw new MetadataError(
      parsed.file,
      "the server keeps its tables in SQLite or PostgreSQL, not DuckDB; give one of those as --db, and a DuckDB file as a connection's destination",
    );
  let database: OpenedDatabase<MetadataSchema>;
  try {
    database = await openDatabase<MetadataSchema>(parsed, {});
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw new MetadataError(location, `cannot open it: ${messageOf(error)}`, error);
  }
  const metadata: Metadata = { ...database, store: location };
  await migrate(metadata);
  return metadata;
}

async function migrate(metadata: Metadata): Promise<void> {
  const all = migrations(metadata.dialect);
  const migrator = new Migrator({
    db: metadata.db,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => all },
    migrationTableName: "_sluice_migrations",
    migrationLockTableName: "_sluice_migrations_lock",
    migrationTableSchema: metadata.schema,
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

/**
 * The metadata tables' history, as Kysely migrations: written once with
 * Kysely's schema builder, they run the same on SQLite and PostgreSQL. Add a
 * new migration for every change; never edit one that has shipped.
 */
import { type ColumnDefinitionBuilder, type Kysely, type Migration, sql } from "kysely";

export type DialectName = "sqlite" | "postgres";

/** An integer id the database assigns. */
function autoId(dialect: DialectName) {
  return (column: ColumnDefinitionBuilder) =>
    dialect === "postgres" ? column.primaryKey().generatedByDefaultAsIdentity() : column.primaryKey().autoIncrement();
}

// Migrations run on a Kysely of unknown shape by design: they create that shape.
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own type for migrations
type AnyDb = Kysely<any>;

export function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    "0001-tokens-and-sessions": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("_sluice_tokens")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("role", "text", (c) => c.notNull())
          .addColumn("hash", "text", (c) => c.notNull().unique())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("last_used_at", "text")
          .addColumn("revoked_at", "text")
          .execute();
        await db.schema
          .createTable("_sluice_sessions")
          .addColumn("hash", "text", (c) => c.primaryKey())
          .addColumn("token_id", "text", (c) => c.notNull().references("_sluice_tokens.id").onDelete("cascade"))
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("expires_at", "text", (c) => c.notNull())
          .execute();
      },
    },
    "0002-connections-and-runs": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("_sluice_connections")
          .addColumn("id", "integer", autoId(dialect))
          .addColumn("name", "text", (c) => c.notNull().unique())
          .addColumn("connector", "text", (c) => c.notNull())
          .addColumn("options", "text", (c) => c.notNull())
          .addColumn("secrets", "text")
          .addColumn("secret_paths", "text", (c) => c.notNull())
          .addColumn("streams", "text")
          .addColumn("table_prefix", "text")
          .addColumn("destination", "text")
          .addColumn("schedule", "text")
          .addColumn("paused", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("next_run_at", "text")
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("_sluice_runs")
          .addColumn("id", "integer", autoId(dialect))
          .addColumn("connection_id", "integer", (c) =>
            c.notNull().references("_sluice_connections.id").onDelete("cascade"),
          )
          .addColumn("trigger", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("owner", "text", (c) => c.notNull())
          .addColumn("queued_at", "text", (c) => c.notNull())
          .addColumn("started_at", "text")
          .addColumn("finished_at", "text")
          .addColumn("sync_id", "integer")
          .addColumn("pages", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("records", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("inserted", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("updated", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("unchanged", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("duration_ms", "integer")
          .addColumn("records_per_second", "integer")
          .addColumn("error", "text")
          .addColumn("stderr_tail", "text")
          .addColumn("log", "text")
          .execute();
        await db.schema
          .createIndex("_sluice_runs_by_connection")
          .on("_sluice_runs")
          .columns(["connection_id", "id"])
          .execute();
        await db.schema.createIndex("_sluice_runs_by_status").on("_sluice_runs").column("status").execute();
        // At most one queued or running run per connection, whichever process asks: the database says no.
        await db.schema
          .createIndex("_sluice_runs_one_active")
          .on("_sluice_runs")
          .column("connection_id")
          .unique()
          .where(sql.ref("status"), "in", ["queued", "running"])
          .execute();
      },
    },
    "0003-connection-retry-and-timeouts": {
      async up(db: AnyDb) {
        await db.schema.alterTable("_sluice_connections").addColumn("retry", "text").execute();
        await db.schema.alterTable("_sluice_connections").addColumn("timeouts", "text").execute();
      },
    },
  };
}

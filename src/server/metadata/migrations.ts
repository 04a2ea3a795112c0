/**
 * The metadata tables' history, as Kysely migrations: written once with
 * Kysely's schema builder, they run the same on SQLite and PostgreSQL. Add a
 * new migration for every change; never edit one that has shipped.
 */
import type { Kysely, Migration } from "kysely";

export type DialectName = "sqlite" | "postgres";

// Migrations run on a Kysely of unknown shape by design: they create that shape.
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own type for migrations
type AnyDb = Kysely<any>;

export function migrations(_dialect: DialectName): Record<string, Migration> {
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
  };
}

/**
 * The real PostgreSQL server of the tests (started by scripts/setup-postgres.sh):
 * each test file creates its own databases as the non-superuser role
 * sluice_test and drops them afterwards. The password reaches Sluice through
 * PGPASSWORD, the documented way.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const PG_PORT = Number(process.env.SLUICE_TEST_PGPORT ?? 5432);
export const PG_ROLE = { user: "sluice_test", password: "sluice_test" };
export const PG_LIMITED_ROLE = { user: "sluice_limited", password: "sluice_limited" };

process.env.PGPASSWORD = PG_ROLE.password;

export function pgUrl(database: string, user = PG_ROLE.user): string {
  return `postgres://${user}@127.0.0.1:${PG_PORT}/${database}`;
}

export async function pgClient(database: string, role = PG_ROLE): Promise<pg.Client> {
  const client = new pg.Client({ host: "127.0.0.1", port: PG_PORT, database, ...role });
  await client.connect();
  return client;
}

/** A fresh database owned by sluice_test, dropped when the test (or suite) ends. */
export async function createDatabase(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const name = `sluice_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = await pgClient("postgres");
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  t.after(async () => {
    const dropper = await pgClient("postgres");
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  });
  return name;
}

/** Rows of a query in a database, as plain objects. */
export async function pgQuery<T = Record<string, unknown>>(
  database: string,
  sql: string,
  values?: unknown[],
): Promise<T[]> {
  const client = await pgClient(database);
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

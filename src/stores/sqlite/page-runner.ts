/**
 * A page of a SQLite table as SQLite runs it: its rows already turned into
 * bind values (so nothing here can meet a value that does not fit), cut into
 * multi-row upserts and key deletes in page order, and the checkpoint it
 * carries, all in one transaction. Plain data in, counts out: the same job
 * runs on the store's own connection or on the page writer thread's (which
 * receives it as a message), through this one runner.
 */
import type Database from "better-sqlite3";
import { quoteIdentifier as quote } from "../naming.js";
import type { WriteCounts } from "../types.js";
import type { Checkpoint } from "../checkpoint-gate.js";
import { SAVE_STATE, upsertSql } from "./schema.js";

/** Upsert `rows` rows whose values (each row: its columns, then the sync id) are `values`, or delete rows by key. */
export type PageStep = UpsertStep | { deleteKeys: unknown[][] };
interface UpsertStep {
  upsert: unknown[];
  rows: number;
}

export interface PageJob {
  /** The table written now (the stream's table, or its staging table while replacing). */
  table: string;
  /** Data columns, in the order of each row's values. */
  columns: string[];
  keyColumns: string[];
  steps: PageStep[];
  checkpoint?: Checkpoint;
}

/** Prepared statements a connection keeps, by SQL text (pages of a stream mostly have one shape). */
const KEPT_STATEMENTS = 32;

export class PageRunner {
  private readonly statements = new Map<string, Database.Statement>();
  /** The same upserts by table, columns and rows, a key cheaper to make than their SQL. */
  private readonly upserts = new Map<string, Database.Statement>();
  private readonly inTransaction: (job: PageJob) => WriteCounts;

  constructor(private readonly db: Database.Database) {
    this.inTransaction = db.transaction((job: PageJob) => {
      const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
      const shape = `${job.table}\u0000${job.columns.join("\u0000")}`;
      for (const step of job.steps) {
        if ("upsert" in step) this.upsert(job, shape, step, counts);
        else counts.deleted = (counts.deleted ?? 0) + this.delete(job, step.deleteKeys);
      }
      if (job.checkpoint) saveCheckpoint(this.db, job.checkpoint, (sql) => this.statement(sql));
      return counts;
    });
  }

  /** Runs the job in one transaction, fsynced at commit when its checkpoint is durable. */
  run(job: PageJob): WriteCounts {
    return committing(this.db, job.checkpoint?.durable, () => this.inTransaction(job));
  }

  /** Each row RETURNING gives is inserted (version 1) or updated; a row it skips was unchanged. */
  private upsert(job: PageJob, shape: string, { upsert: values, rows }: UpsertStep, counts: WriteCounts): void {
    const key = `${shape}\u0000${rows}`;
    let statement = this.upserts.get(key);
    if (!statement) {
      statement = this.statement(upsertSql(job.table, job.columns, job.keyColumns, rows), true);
      this.upserts.set(key, statement);
    }
    const versions = statement.all(values) as number[];
    for (const version of versions) {
      if (version === 1) counts.inserted++;
      else counts.updated++;
    }
    counts.unchanged += rows - versions.length;
  }

  private delete(job: PageJob, keys: unknown[][]): number {
    const where = job.keyColumns.map((c) => `${quote(c)} = ?`).join(" AND ");
    const statement = this.statement(`DELETE FROM ${quote(job.table)} WHERE ${where}`);
    let deleted = 0;
    for (const key of keys) deleted += statement.run(key).changes;
    return deleted;
  }

  private statement(sql: string, pluck = false): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= KEPT_STATEMENTS) {
        this.statements.clear();
        this.upserts.clear();
      }
      statement = this.db.prepare(sql);
      if (pluck) statement.pluck(true);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** Saves a checkpoint; inside a page's or a replacement's transaction when called from one. */
export function saveCheckpoint(
  db: Database.Database,
  { connector, state, syncId }: Checkpoint,
  prepare: (sql: string) => Database.Statement = (sql) => db.prepare(sql),
): void {
  prepare(SAVE_STATE).run(connector, state, syncId, new Date().toISOString());
}

/** Runs `work` (one transaction), its commit fsynced when `durable`: synchronous=FULL for it alone. */
export function committing<T>(db: Database.Database, durable: boolean | undefined, work: () => T): T {
  if (!durable) return work();
  db.pragma("synchronous = FULL");
  try {
    return work();
  } finally {
    db.pragma("synchronous = NORMAL");
  }
}

/** Every connection that writes: WAL (readers never block the writer), commits not fsynced unless durable, waits on locks. */
export function tuneForWriting(db: Database.Database): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
}

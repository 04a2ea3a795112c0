/**
 * A page of a SQLite table as SQLite runs it: its rows already turned into
 * bind values (so nothing here can meet a value that does not fit), upserts
 * and key deletes in page order, and the checkpoint it carries, all in one
 * transaction. Plain data in, counts out: the table writer decides what to
 * write, this runner only how.
 */
import type Database from "better-sqlite3";
import { quoteIdentifier as quote } from "../naming.js";
import type { WriteCounts } from "../types.js";
import type { Checkpoint } from "../checkpoint-gate.js";
import { insertNewSql, SAVE_STATE, upsertSql } from "./schema.js";

/** Rows to upsert (each row: its columns' values, then the sync id), or the keys of rows to delete. */
export type PageStep = { upsert: unknown[][] } | { deleteKeys: unknown[][] };

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

/** A table's two ways to write a row, and which one its last rows called for. */
interface RowWriter {
  /** Inserts a row whose key is new; a row whose key exists is left alone (changes 0). */
  insertNew: Database.Statement;
  /** The upsert: RETURNING gives the row's version (1: inserted, more: updated), nothing when unchanged. */
  upsert: Database.Statement;
  /** The last row written was new: try the plain insert first. */
  expectNew: boolean;
}

export class PageRunner {
  private readonly statements = new Map<string, Database.Statement>();
  /** By table and columns, a key cheaper to make than the statements' SQL. */
  private readonly writers = new Map<string, RowWriter>();
  private readonly inTransaction: (job: PageJob) => WriteCounts;

  constructor(private readonly db: Database.Database) {
    this.inTransaction = db.transaction((job: PageJob) => {
      const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
      const writer = this.writerFor(job);
      for (const step of job.steps) {
        if ("upsert" in step) upsertRows(writer, step.upsert, counts);
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

  private writerFor(job: PageJob): RowWriter {
    const shape = `${job.table}\u0000${job.columns.join("\u0000")}`;
    let writer = this.writers.get(shape);
    if (!writer) {
      writer = {
        insertNew: this.statement(insertNewSql(job.table, job.columns)),
        upsert: this.statement(upsertSql(job.table, job.columns, job.keyColumns), true),
        expectNew: true,
      };
      this.writers.set(shape, writer);
    }
    return writer;
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
        this.writers.clear();
      }
      statement = this.db.prepare(sql);
      if (pluck) statement.pluck(true);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Writes rows one statement each, which SQLite runs faster than one statement of many rows. New rows
 * (a first sync, appended records) go through a plain insert, as cheap as SQLite writes a row; RETURNING
 * costs a third more, so the upsert that tells updated from unchanged runs only once a row's key exists,
 * and again until a row turns out new. Without a primary key the insert never meets a key.
 */
function upsertRows(writer: RowWriter, rows: unknown[][], counts: WriteCounts): void {
  for (const row of rows) {
    if (writer.expectNew) {
      if (writer.insertNew.run(row).changes > 0) {
        counts.inserted++;
        continue;
      }
      writer.expectNew = false;
    }
    const version = writer.upsert.get(row) as number | undefined;
    if (version === undefined) counts.unchanged++;
    else if (version === 1) {
      counts.inserted++;
      writer.expectNew = true;
    } else counts.updated++;
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

/** How long a connection waits for another's lock on the file before it fails with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** Every connection that writes: WAL (readers never block the writer), commits not fsynced unless durable, waits on locks. */
export function tuneForWriting(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  useWal(db);
  db.pragma("synchronous = NORMAL");
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Switches the file to WAL, which stays set in it. Two processes creating one file at once may both
 * try, and SQLite refuses one at once (SQLITE_BUSY without waiting, to avoid a deadlock): that one
 * tries again a moment later, finding WAL set by the other.
 */
export function useWal(db: Database.Database): void {
  for (let waitedMs = 0; ; waitedMs += 20) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || waitedMs >= BUSY_TIMEOUT_MS) throw error;
      Atomics.wait(PAUSE, 0, 0, 20);
    }
  }
}

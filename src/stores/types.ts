/**
 * The storage interface the engine writes through. SQLite (sqlite/) is the
 * zero-set-up default; PostgreSQL is meant as a second implementation, so every
 * method is async even where SQLite is not.
 */
import { SluiceError } from "../errors.js";

export type Row = Record<string, unknown>;

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rows removed by delete markers (CDC sources). */
  deleted?: number;
}

/** Marks a row of a page as "delete the row with this key" instead of an upsert (see `deletion`). */
export const DELETE = Symbol("sluice.delete");

/** A page entry that deletes the row whose primary key fields equal `key`'s. */
export function deletion(key: Row): Row {
  return { ...key, [DELETE]: true };
}

export type ColumnType = "integer" | "real" | "text" | "json" | "any";

export interface TableSpec {
  /** Connector instance the table belongs to (for the stream registry). */
  connector: string;
  stream: string;
  table: string;
  /** Columns known up front (from the stream's JSON schema); more may appear in records. */
  columns: { name: string; type: ColumnType }[];
  /** Upsert key; empty = append. */
  primaryKey: string[];
  /**
   * Full refresh with overwrite: rows go to a staging table that replaces the
   * table only when `finish()` is called (the sync succeeded); until then the
   * old rows stay as they were.
   */
  replace?: boolean;
}

export interface TableWriter {
  readonly table: string;
  /**
   * Writes `rows` in one transaction, and saves `checkpoint` (the connector's
   * state) in that same transaction, so state never runs ahead of the data.
   */
  write(rows: Row[], syncId: number, checkpoint?: { connector: string; state: string }): Promise<WriteCounts>;
  /** The sync succeeded: a replacing table takes the old one's place. */
  finish(): Promise<void>;
}

export type SyncStatus = "running" | "succeeded" | "failed" | "cancelled";

export interface SyncLogEntry {
  id: number;
  connector: string;
  protocol: string;
  startedAt: string;
  finishedAt: string | null;
  status: SyncStatus;
  pages: number;
  inserted: number;
  updated: number;
  unchanged: number;
  message: string | null;
  error: string | null;
}

export interface SyncOutcome extends WriteCounts {
  status: Exclude<SyncStatus, "running">;
  pages: number;
  message?: string;
  error?: string;
}

export interface Store {
  /** Where the data lives, for messages (a file path or a URL without secrets). */
  readonly location: string;
  openTable(spec: TableSpec): Promise<TableWriter>;
  loadState(connector: string): Promise<string>;
  saveState(connector: string, state: string, syncId: number): Promise<void>;
  beginSync(connector: string, protocol: string): Promise<number>;
  finishSync(id: number, outcome: SyncOutcome): Promise<void>;
  listSyncs(limit: number): Promise<SyncLogEntry[]>;
  close(): Promise<void>;
}

/** A record the store cannot accept, with where it sits. */
export class RecordError extends SluiceError {
  constructor(stream: string, index: number, problem: string) {
    super("RECORD_INVALID", `stream "${stream}", record ${index + 1} of the page: ${problem}`);
  }
}

/** The store itself failed (disk full, file locked, ...). */
export class StoreError extends SluiceError {
  constructor(location: string, problem: string, cause?: unknown) {
    super("STORE_FAILED", `store ${location}: ${problem}`, { cause });
  }
}

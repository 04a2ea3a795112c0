/**
 * The storage interface the engine writes through, implemented by SQLite
 * (sqlite/, the zero-set-up default), PostgreSQL (postgres/) and DuckDB
 * (duckdb/). Every store passes the same contract suite
 * (test/stores-contract.test.ts).
 */
import { SluiceError } from "../errors.js";

import type { Row } from "../protocol/rows.js";

export { DELETE, deletion, type Row } from "../protocol/rows.js";

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rows removed by delete markers (CDC sources). */
  deleted?: number;
}

/**
 * What a column holds, independent of the store. Each store maps these to its
 * own types (docs/stores.md): `numeric` is exact (integers beyond 64 bits,
 * decimals), `any` lets each value keep its own type where the store can.
 * A value that does not fit its column widens the column (see values.ts), so
 * no record fails forever on a type.
 */
export type ColumnType = "boolean" | "integer" | "numeric" | "real" | "timestamp" | "text" | "json" | "any";

/** Which kind of database a store is. */
export type StoreKind = "sqlite" | "postgres" | "duckdb";

export interface TableSpec {
  /** Connector instance the table belongs to (for the stream registry). */
  connector: string;
  stream: string;
  /**
   * The table name asked for. The store may give the stream another one (a
   * suffix when another stream already has it, a shortened name over the
   * store's identifier limit): `TableWriter.table` says which.
   */
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

/** A connector's state, saved with the page it follows. */
export interface Checkpoint {
  connector: string;
  state: string;
  /**
   * The caller releases upstream data once this commits: it acks a Conduit
   * source, and a CDC slot or a queue then forgets those records. So the
   * commit must survive an OS crash or a power loss, not only a crash of
   * Sluice, before the call returns. What each store does for it:
   *   - SQLite: that transaction runs with `synchronous = FULL` (the WAL is
   *     fsynced at commit); other commits keep NORMAL, where a power loss may
   *     take back the last ones, their checkpoints with them, and the source
   *     re-reads them.
   *   - PostgreSQL: that transaction commits with `synchronous_commit` on
   *     (set back on for it where the connection's settings turned it off);
   *     other page commits set it off for themselves, so a power loss or a
   *     server crash may take back the last ones, their checkpoints with them.
   *   - DuckDB (and any other store): commit and sync the write-ahead log
   *     before returning; its implementer checks what its commit guarantees.
   */
  durable?: boolean;
}

export interface TableWriter {
  /** The table the stream's rows land in. */
  readonly table: string;
  /**
   * Writes `rows` in one transaction, and saves `checkpoint` (the connector's
   * state) in that same transaction, so state never runs ahead of the data.
   */
  write(rows: Row[], syncId: number, checkpoint?: Checkpoint): Promise<WriteCounts>;
  /**
   * A hint, never required: `rows` are the next page `write` will get; a store may stage them beside
   * the write running now. `write` behaves the same whether it was told or not.
   */
  upcoming?(rows: Row[]): void;
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
  /** Who ran it (SyncOwner.id); null in entries from before 2026-12. */
  owner: string | null;
  /**
   * Of an entry still running, in a store that keeps syncs' signs of life (PostgreSQL, see markAlive):
   * seconds since its sync last gave one, by the store's clock.
   */
  silentSeconds?: number;
}

export interface SyncOutcome extends WriteCounts {
  status: Exclude<SyncStatus, "running">;
  pages: number;
  message?: string;
  error?: string;
}

/** The figures of a sync that wrote nothing (or whose figures are unknown: its process died). */
export const NOTHING_WRITTEN = { pages: 0, inserted: 0, updated: 0, unchanged: 0 } as const;

/**
 * Who runs a sync, kept with its log entry, so that a second sync of the same connector into the
 * store is refused while the first runs (two would race on its state), and the entry of one whose
 * process died (kill -9, a crash) is closed instead of saying "running" for ever.
 */
export interface SyncOwner {
  /** Recorded with the entry. */
  readonly id: string;
  /** Whether the owner recorded as `id` still runs; undefined when this process cannot tell (another machine). */
  stillRuns(id: string): boolean | undefined;
  /** The owner recorded as `id`, in words for messages. */
  describe(id: string): string;
  /**
   * How this owner's sync logged as `entryId` in the store at `location` ended, when its entry could
   * not be closed then (the store was out of reach): a later claim closes the entry with it, where
   * it would otherwise refuse, the owner still running.
   */
  unrecordedEnd?(location: string, entryId: number): SyncOutcome | undefined;
}

export interface Store {
  readonly kind: StoreKind;
  /** Where the data lives, for messages (a file path or a URL without secrets). */
  readonly location: string;
  /** Whether the store holds Sluice's tables (a store opened for writing is created on its first write). */
  exists(): Promise<boolean>;
  /** Told what a user should know of a write that goes on regardless (openStore's `warn`). */
  warn?: (message: string) => void;
  openTable(spec: TableSpec): Promise<TableWriter>;
  loadState(connector: string): Promise<string>;
  /** Saves a connector's state on its own; `durable` as in Checkpoint (the caller releases upstream data next). */
  saveState(connector: string, state: string, syncId: number, options?: { durable?: boolean }): Promise<void>;
  /**
   * Logs a sync as running. With `owner`, first settles the connector's entries still marked running:
   * one whose owner still runs refuses this sync (SyncRunningError), one whose owner has ended is
   * closed as failed (interrupted). One whose owner cannot be told (another machine) is judged by its
   * signs of life where the store keeps them (markAlive), else left alone.
   */
  beginSync(connector: string, protocol: string, owner?: SyncOwner): Promise<number>;
  /**
   * Records that sync `id` still runs, for claims made on other machines (which cannot see its process):
   * stores that syncs from several machines share (PostgreSQL) keep it; a file is one machine's.
   */
  markAlive?(id: number): Promise<void>;
  /**
   * Stops waiting for a server out of reach (PostgreSQL's reconnection): what waits fails now with the
   * reason, and later statements try once. Said when the sync is cancelled, so a cancel never waits on it.
   */
  stopWaiting?(): void;
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

export type StoreErrorCode =
  | "STORE_FAILED"
  | "STORE_BUSY"
  | "STORE_UNREACHABLE"
  | "STORE_AUTH_FAILED"
  | "STORE_TLS_FAILED";

/** The store itself failed (disk full, file locked, server down, ...). */
export class StoreError extends SluiceError {
  constructor(
    location: string,
    /** What went wrong, without the location. */
    readonly problem: string,
    cause?: unknown,
    code: StoreErrorCode = "STORE_FAILED",
  ) {
    super(code, `store ${location}: ${problem}`, { cause });
  }
}

/** A page a crash of the database took back after it had committed (PostgreSQL's lazy commits). */
export interface PageTakenBack {
  stream: string;
  /** Its rows, as the sync counted them received. */
  rows: number;
  counts: WriteCounts;
}

/**
 * The database lost pages it had committed (a crash took back what had not reached its disk): the
 * sync stops, and its counts go back by `pages` (the newest first), which the rows and the state no
 * longer hold.
 */
export class PagesTakenBackError extends StoreError {
  constructor(
    location: string,
    problem: string,
    readonly pages: PageTakenBack[],
  ) {
    super(location, problem, undefined, "STORE_UNREACHABLE");
  }
}

/** A stream's primary key differs from the one its table was created with. */
export class PrimaryKeyChangedError extends SluiceError {
  constructor(location: string, stream: string, table: string, before: string[], after: string[]) {
    const key = (fields: string[]) => (fields.length ? `(${fields.join(", ")})` : "none (append)");
    super(
      "PRIMARY_KEY_CHANGED",
      `store ${location}: the primary key of stream "${stream}" changed from ${key(before)} to ${key(after)} since table "${table}" was created; ` +
        "its rows cannot be upserted by the new key. Sync into a new table (--table-prefix), or drop the table " +
        `("${table}") and sync again with --full-refresh.`,
    );
  }
}

/** What --db says names no store Sluice knows, or a file holding the other kind of database. */
export class StoreLocationError extends SluiceError {
  constructor(message: string) {
    super("STORE_LOCATION_INVALID", message);
  }
}

/** A sync of the connector into this store runs already (see SyncOwner). */
export class SyncRunningError extends SluiceError {
  constructor(location: string, connector: string, syncId: number, owner: string) {
    super(
      "SYNC_ALREADY_RUNNING",
      `store ${location}: connector "${connector}" is syncing into it already (sync #${syncId}, ${owner}); ` +
        "one sync of a connector into a store runs at a time, as both would save its state: wait for it to end",
    );
  }
}

/** The store named by --db does not exist (read-only commands never create one). */
export class StoreNotFoundError extends SluiceError {
  constructor(location: string, what: string) {
    super("STORE_NOT_FOUND", `store ${location}: ${what}; nothing has been synced there yet (check --db)`);
  }
}

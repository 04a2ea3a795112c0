/**
 * The PostgreSQL store, on node-postgres: everything in one schema (`--schema`,
 * default `sluice`; created if missing and allowed, else it must exist with
 * CREATE granted — never a superuser). A page is COPYed into a temporary
 * table and merged with INSERT … ON CONFLICT DO UPDATE … WHERE the row
 * changed, counting inserted and updated rows in the same statement; the
 * page's checkpoint is saved in that transaction. Real types: bigint/numeric,
 * double precision, boolean, timestamptz, jsonb.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { SluiceError } from "../../errors.js";
import { BaseTableWriter, type Column, Misfit, type OpenedTable, pageSegments, type RunningEntry } from "../base.js";
import { type SqlValue, SqlStore } from "../sql-store.js";
import type { Checkpoint } from "../checkpoint-gate.js";
import {
  checkedSchema,
  type ColumnMapping,
  quoteIdentifier as quote,
  type RegisteredTable,
  SYNC_ID_COLUMN,
  VERSION_COLUMN,
} from "../naming.js";
import {
  type ColumnType,
  type PageTakenBack,
  PagesTakenBackError,
  type Row,
  StoreError,
  type SyncOutcome,
  type WriteCounts,
} from "../types.js";
import {
  connectionLost,
  connectPostgres,
  describeServer,
  holdSchema,
  lossReason,
  noteFailure,
  stoppedTakingWrites,
  type PostgresTarget,
  postgresError,
} from "./connection.js";
import { ENCODERS, NULL_FIELD, PG_TYPES, typeOfPg, widenUsing } from "./copy-text.js";
import { type CommitStatus, commitStatus, LazyCommits } from "./lazy-commits.js";
import { connectWithin, reconnectWaitMs } from "./reconnect.js";

export interface PostgresOpenOptions {
  /** The schema holding the tables and Sluice's own (default "sluice"). */
  schema?: string;
}

export const DEFAULT_SCHEMA = "sluice";

/** PostgreSQL's identifier limit (NAMEDATALEN − 1): longer names would be cut silently. */
const IDENTIFIER_BYTES = 63;

/**
 * Everything a write relies on is set for its transaction (SET LOCAL), not for the session: a pooler in
 * transaction mode (PgBouncer, a hosted database's pooled port) runs each transaction on whichever server
 * connection is free. UTC reads a timestamp without an offset the same way wherever it lands.
 */
const BEGIN = "BEGIN; SET LOCAL TIME ZONE 'UTC'";
const LAZY_BEGIN = `${BEGIN}; SET LOCAL synchronous_commit TO off`;
/** PostgreSQL's SQLSTATE for a privilege the role lacks (here: owning the table it would alter). */
const INSUFFICIENT_PRIVILEGE = "42501";

/** Why PostgreSQL cannot take `schema` as it is: it refuses `pg_` names, and cuts long ones (two could become one). */
function pgSchemaReason(schema: string): string | undefined {
  if (schema.startsWith("pg_")) return "names beginning with pg_ are reserved for PostgreSQL's own schemas";
  if (Buffer.byteLength(schema) > IDENTIFIER_BYTES)
    return `PostgreSQL cuts names to ${IDENTIFIER_BYTES} bytes, and this one has ${Buffer.byteLength(schema)}`;
  return undefined;
}

const ISO_TIME = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** How many times a transaction is run again after losing its connection (see transaction). */
const MOST_REPLAYS = 2;

export class PostgresStore extends SqlStore {
  readonly kind = "postgres";
  protected readonly limits = { identifierBytes: IDENTIFIER_BYTES, columns: 1590 };
  readonly location: string;
  private readonly s: string;
  /** BEGIN for a durable commit: with synchronous_commit back on when the connection's settings turned it off. */
  private durableBegin = BEGIN;
  /** A transaction is open: one begun inside it joins it (a claim closing stale entries, say). */
  private inTransaction = false;
  /** Whether the sync log has its alive_at column (see addSyncLogColumn). */
  private recordsLife = true;
  /** The reconnection under way (reconnectIfLost). */
  private reconnecting: Promise<void> | undefined;
  /** The loss of the connection was told already (a page's transaction run again): reconnect need not. */
  private lossTold = false;
  /** A wait for the server ran out: until a connection is made again, each statement tries once. */
  private outOfReach = false;
  /** Aborted by stopWaiting and close: no more waiting for the server. */
  private readonly waits = new AbortController();
  /** The lazy commits a crash of the server may take back: a new connection asks (see checkNothingTakenBack). */
  private readonly lazyCommits = new LazyCommits();
  /** The store's query, for asking what became of a transaction (lazy-commits.ts). */
  private readonly statusQuery = (sql: string, values: unknown[]) => this.query<{ status: string | null }>(sql, values);

  private constructor(
    private connection: pg.Client,
    private readonly target: PostgresTarget,
    readonly schema: string,
    private readonly reconnectWaitMs: number,
  ) {
    super();
    this.location = `${target.display}${schema === DEFAULT_SCHEMA ? "" : ` (schema ${schema})`}`;
    this.s = quote(schema);
  }

  /** Connects (failing early when the server is down or refuses); creates nothing until the first write. */
  static async open(target: PostgresTarget, options: PostgresOpenOptions = {}): Promise<PostgresStore> {
    const schema = checkedSchema(options.schema ?? DEFAULT_SCHEMA, pgSchemaReason);
    const waitMs = reconnectWaitMs(); // a bad setting is refused before connecting
    const store = new PostgresStore(await connectPostgres(target, { writes: true }), target, schema, waitMs);
    await store.guard(() => store.setUpSession());
    return store;
  }

  get client(): pg.Client {
    return this.connection;
  }

  private async setUpSession(): Promise<void> {
    await this.connection.query("SET TIME ZONE 'UTC'");
    const [{ synchronous_commit: setting }] = await this.query<{ synchronous_commit: string }>(
      "SHOW synchronous_commit",
    );
    this.durableBegin = setting === "off" ? `${BEGIN}; SET LOCAL synchronous_commit TO on` : BEGIN;
  }

  /** `schema.name`, quoted. */
  qualified(name: string): string {
    return `${this.s}.${quote(name)}`;
  }

  async query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]> {
    await this.reconnectIfLost();
    try {
      return (await this.client.query<T>(sql, values)).rows;
    } catch (error) {
      noteFailure(this.connection, error);
      throw error;
    }
  }

  /**
   * A new connection where the server ended this one between the store's statements (an idle-session
   * timeout while the connector made its next page, an administrator, a pooler recycling its
   * connections, a restart), so that the sync goes on: no statement was in flight, and nothing a write
   * relies on lives in the session (see BEGIN). A server out of reach (restarting, failing over) is
   * tried again for up to SLUICE_PG_RECONNECT_SECONDS (reconnectWaitMs), then fails the sync with the
   * reason; one that refuses otherwise (the password) fails it at once. A connection lost inside a
   * transaction is replaced by the transaction itself, once it has ended (see transaction).
   */
  private async reconnectIfLost(): Promise<void> {
    if (this.inTransaction || lossReason(this.connection) === undefined) return;
    // One reconnection for every statement that meets the loss (a page, a beat of the sync's heartbeat).
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = undefined;
    });
    await this.reconnecting;
  }

  private async reconnect(): Promise<void> {
    const server = describeServer(this.connection);
    if (!this.outOfReach && !this.lossTold)
      this.warn?.(
        `${server} ${stoppedTakingWrites(this.connection) ? "stopped taking writes" : "ended the connection between writes"} ` +
          `(${lossReason(this.connection)}): connecting again`,
      );
    this.lossTold = false;
    await this.connection.end().catch(() => {});
    try {
      this.connection = await connectWithin(this.target, {
        waitMs: this.outOfReach ? 0 : this.reconnectWaitMs,
        signal: this.waits.signal,
        tell: (message) => this.warn?.(message),
      });
    } catch (error) {
      this.outOfReach = true;
      throw error;
    }
    this.outOfReach = false;
    await this.setUpSession();
    await this.checkNothingTakenBack(server);
  }

  /**
   * Whether the pages committed lazily before the connection was lost are still there: a server that
   * crashed (rather than shut down) takes back the commits that had not reached its disk, whole and
   * in order. The sync cannot go on past lost pages, as its connector cannot send them again; its
   * state, taken back with them, still matches the rows, and a re-run resumes from it.
   */
  private async checkNothingTakenBack(server: string): Promise<void> {
    const takenBack = await this.lazyCommits.takenBack(this.statusQuery);
    if (!takenBack) return;
    const { pages, rows, atLeast } = takenBack;
    throw new PagesTakenBackError(
      this.location,
      `${server} went down and took back the sync's last pages (${atLeast ? "at least " : ""}${pages.length}, ${rows} rows): ` +
        "they were committed without waiting for its disk (as pages between durable checkpoints are), and a crash of the " +
        "server undoes such commits, whole and in order; the sync stops here, and a re-run resumes from the checkpoint " +
        "that stayed with the rows",
      pages,
    );
  }

  /** The page the transaction just committed lazily wrote, for what a crash may take back. */
  notePage(page: PageTakenBack): void {
    this.lazyCommits.wrote(page);
  }

  stopWaiting(): void {
    this.waits.abort();
  }

  async rows<T>(sql: string, values?: SqlValue[]): Promise<T[]> {
    return (await this.query(sql, values)) as T[];
  }

  protected isoTime(column: string): string {
    return ISO_TIME(column);
  }

  /**
   * Runs `work` in a transaction; rolls back when it fails. A durable commit
   * (the default) waits for its WAL to reach the disk, even where the
   * connection's settings turned synchronous_commit off; a lazy one does not
   * wait (synchronous_commit off for it alone): a power loss or a crash of the
   * server may take back the last lazy commits, whole and in order (never a
   * page without its checkpoint), and the source re-reads them, as with
   * SQLite's NORMAL mode. The next durable commit flushes them all.
   * `prelude` (a page's temporary table) goes with the BEGIN, in the same
   * round trip. Inside another transaction, `work` joins it (a claim closing
   * stale entries closes them in the claim's). Every transaction of the store
   * only writes, and holds nothing in memory that a rollback would leave
   * ahead: one whose connection is lost before its COMMIT went out was rolled
   * back by the server, and runs again on a new connection, up to MOST_REPLAYS
   * times, saying so (`what` it was); one lost during its COMMIT is looked up by
   * the id it noted (committedAfterLoss), and counts as committed, runs again,
   * or fails saying its fate is unknown.
   */
  async transaction<T>(
    what: Replay,
    work: () => Promise<T>,
    commit: "durable" | "lazy" = "durable",
    prelude = "",
  ): Promise<T> {
    if (this.inTransaction) {
      if (prelude) await this.client.query(prelude);
      return work();
    }
    for (let replays = 0; ; replays++) {
      await this.reconnectIfLost();
      const begin = commit === "lazy" ? LAZY_BEGIN : this.durableBegin;
      let xid: string | undefined;
      let outcome: { result: T } | undefined;
      this.inTransaction = true;
      try {
        // Its id, noted: what became of it can be asked on a new connection.
        const opened = await this.client.query(
          [begin, prelude, "SELECT txid_current()::text AS xid"].filter(Boolean).join("; "),
        );
        xid = ([] as pg.QueryResult[]).concat(opened).at(-1)?.rows[0]?.xid;
        outcome = { result: await work() };
        await this.client.query("COMMIT");
        this.lazyCommits.committed(commit, xid);
        return outcome.result;
      } catch (error) {
        noteFailure(this.connection, error);
        const lost = connectionLost(this.connection);
        if (!lost) await this.client.query("ROLLBACK").catch(() => {});
        // Ended here, not only in finally: what follows may connect again, which a transaction defers.
        this.inTransaction = false;
        // Lost during the COMMIT: the server, once reached again, says whether it committed.
        if (lost && outcome && (await this.committedAfterLoss(xid, error))) {
          this.lazyCommits.committed(commit, xid);
          return outcome.result;
        }
        if (!(lost && replays < MOST_REPLAYS)) throw error;
        this.tellReplay(what);
      } finally {
        this.inTransaction = false;
      }
    }
  }

  /** Says that the transaction lost with its connection runs again, and why. */
  private tellReplay(what: Replay): void {
    const server = describeServer(this.connection);
    const why = lossReason(this.connection);
    this.warn?.(
      stoppedTakingWrites(this.connection)
        ? `${server} stopped taking writes during ${what.during} (${why}): ${what.again} on a server that takes them`
        : `${server} ended the connection during ${what.during}, before its commit (${why}): ` +
            `the server rolled it back, and ${what.again}`,
    );
    this.lossTold = true;
  }

  /**
   * Whether the transaction whose connection was lost during its COMMIT committed, asked on a new
   * connection by its id (`xid`, noted by every transaction). Without its id, or without
   * the server's answer, it is unknown: thrown as such, naming the server and the loss.
   */
  private async committedAfterLoss(xid: string | undefined, loss: unknown): Promise<boolean> {
    const server = describeServer(this.connection);
    const why = lossReason(this.connection);
    let status: CommitStatus | undefined;
    if (xid !== undefined) {
      this.lossTold = true;
      try {
        await this.reconnectIfLost();
        status = await commitStatus(this.statusQuery, xid);
      } catch (error) {
        // Pages a crash took back (checkNothingTakenBack) are told as such; an unreachable server leaves it unknown.
        if (error instanceof StoreError && !connectionLost(this.connection)) throw error;
      }
    }
    if (status === "committed")
      this.warn?.(
        `${server} ended the connection as a transaction committed (${why}): it did commit, and the sync goes on`,
      );
    if (status === "committed" || status === "aborted") return status === "committed";
    throw new StoreError(
      this.location,
      `${server} ended the connection while a transaction committed (${why}): whether it committed is unknown; ` +
        "the checkpoint is never ahead of what did, and a re-run writes the rest again",
      loss,
      "STORE_UNREACHABLE",
    );
  }

  protected async create(): Promise<void> {
    await this.transaction(MAKING_OWN_TABLES, async () => {
      await holdSchema(this.client, this.schema, true);
      await this.client.query(`
        CREATE TABLE IF NOT EXISTS ${this.qualified("_sluice_syncs")} (
          id bigserial PRIMARY KEY,
          connector text NOT NULL,
          protocol text NOT NULL,
          started_at timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz,
          status text NOT NULL,
          pages bigint NOT NULL DEFAULT 0,
          inserted bigint NOT NULL DEFAULT 0,
          updated bigint NOT NULL DEFAULT 0,
          unchanged bigint NOT NULL DEFAULT 0,
          message text,
          error text,
          owner text,
          alive_at timestamptz
        );
        CREATE TABLE IF NOT EXISTS ${this.qualified("_sluice_state")} (
          connector text PRIMARY KEY,
          state text NOT NULL,
          sync_id bigint,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS ${this.qualified("_sluice_tables")} (
          table_name text PRIMARY KEY,
          connector text NOT NULL,
          stream text NOT NULL,
          primary_key jsonb NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${this.qualified("_sluice_columns")} (
          table_name text NOT NULL,
          field text NOT NULL,
          column_name text NOT NULL,
          PRIMARY KEY (table_name, field)
        );`);
      this.recordsOwners = await this.addSyncLogColumn("owner", "text");
      this.recordsLife = await this.addSyncLogColumn("alive_at", "timestamptz");
    });
  }

  /**
   * Until 2026-12 the sync log did not say who ran a sync (owner, see SyncOwner) nor when it last said
   * it runs (alive_at, see markAlive); ALTER only when needed, as it locks. Only the table's owner may
   * add a column: a role that was granted an older log keeps syncing without it (nothing recorded,
   * nothing refused), rather than failing until an administrator steps in. Whether the column is there.
   */
  private async addSyncLogColumn(column: string, type: string): Promise<boolean> {
    const [{ present }] = await this.query<{ present: boolean }>(
      `SELECT EXISTS (SELECT FROM information_schema.columns
                       WHERE table_schema = $1 AND table_name = '_sluice_syncs' AND column_name = $2) AS present`,
      [this.schema, column],
    );
    if (present) return true;
    await this.client.query("SAVEPOINT sync_log_column");
    try {
      await this.client.query(`ALTER TABLE ${this.qualified("_sluice_syncs")} ADD COLUMN ${column} ${type}`);
      await this.client.query("RELEASE SAVEPOINT sync_log_column");
      return true;
    } catch (error) {
      if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error;
      await this.client.query("ROLLBACK TO SAVEPOINT sync_log_column");
      return false;
    }
  }

  /** Syncs of several machines share a PostgreSQL store: each says it runs, for the others' claims. */
  async markAlive(id: number): Promise<void> {
    if (!this.recordsLife) return;
    await this.guard(() =>
      this.query(
        `UPDATE ${this.qualified("_sluice_syncs")} SET alive_at = now() WHERE id = $1 AND status = 'running'`,
        [id],
      ),
    );
  }

  /** A sync's first sign of life comes with its entry. */
  protected override get startingColumns(): Record<string, string> {
    return this.recordsLife ? { alive_at: "now()" } : {};
  }

  /** With the seconds since each last said it runs, by the server's clock (the machines' may differ). */
  protected override async selectRunning(connector: string): Promise<RunningEntry[]> {
    if (!this.recordsLife) return super.selectRunning(connector);
    const rows = await this.query<{ id: string; owner: string; silent: number | null }>(
      `SELECT id, owner, extract(epoch FROM now() - alive_at)::float8 AS silent FROM ${this.qualified("_sluice_syncs")}
        WHERE connector = $1 AND status = 'running' AND owner IS NOT NULL`,
      [connector],
    );
    return rows.map((r) => ({ id: Number(r.id), owner: r.owner, silentSeconds: r.silent ?? undefined }));
  }

  async exists(): Promise<boolean> {
    const [{ present }] = await this.query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [
      this.qualified("_sluice_syncs"),
    ]);
    return present;
  }

  protected async registeredTables(): Promise<RegisteredTable[]> {
    return this.query<RegisteredTable>(
      `SELECT table_name AS "table", connector, stream, primary_key AS "primaryKey" FROM ${this.qualified("_sluice_tables")}`,
    );
  }

  protected async existingTables(): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')",
      [this.schema],
    );
    return rows.map((r) => r.name);
  }

  protected async register(entry: RegisteredTable): Promise<void> {
    await this.client.query(
      `INSERT INTO ${this.qualified("_sluice_tables")} (table_name, connector, stream, primary_key) VALUES ($1, $2, $3, $4)`,
      [entry.table, entry.connector, entry.stream, JSON.stringify(entry.primaryKey)],
    );
  }

  protected async columnsOf(table: string): Promise<{ column: string; type: ColumnType }[]> {
    const rows = await this.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [this.qualified(table)],
    );
    return rows
      .filter((r) => r.name !== SYNC_ID_COLUMN && r.name !== VERSION_COLUMN)
      .map((r) => ({ column: r.name, type: typeOfPg(r.type) }));
  }

  protected async mappingsOf(table: string): Promise<ColumnMapping[]> {
    const rows = await this.query<ColumnMapping>(
      `SELECT field, column_name AS "column" FROM ${this.qualified("_sluice_columns")} WHERE table_name = $1`,
      [table],
    );
    return rows.map(({ field, column }) => ({ field: JSON.parse(field) as string, column }));
  }

  protected async dropTable(table: string): Promise<void> {
    await this.transaction(changeOf(table), async () => {
      await this.client.query(`DROP TABLE IF EXISTS ${this.qualified(table)}`);
      await this.client.query(`DELETE FROM ${this.qualified("_sluice_columns")} WHERE table_name = $1`, [table]);
    });
  }

  protected async createTable(table: string, columns: Column[], keyColumns: string[]): Promise<void> {
    const definitions = columns.map((c) => `${quote(c.column)} ${PG_TYPES[c.type]}`);
    definitions.push(`${quote(SYNC_ID_COLUMN)} bigint`, `${quote(VERSION_COLUMN)} bigint NOT NULL DEFAULT 1`);
    if (keyColumns.length) definitions.push(`PRIMARY KEY (${keyColumns.map(quote).join(", ")})`);
    await this.transaction(changeOf(table), () =>
      this.client.query(`CREATE TABLE ${this.qualified(table)} (${definitions.join(", ")})`),
    );
  }

  /** A checkpoint with no page, committed as durably as it asks. */
  protected override async writeState(checkpoint: Checkpoint): Promise<void> {
    await this.transaction(CHECKPOINT, () => this.saveCheckpoint(checkpoint), commitOf(checkpoint));
  }

  /** In one transaction under a lock per connector: the stale entries it closes commit with the new one. */
  protected claiming<T>(connector: string, claim: () => Promise<T>): Promise<T> {
    return this.holdingLock(`sluice:${this.schema}:claim:${connector}`, OPENING_ENTRY, claim);
  }

  /** In one transaction under a lock per schema. */
  protected override naming<T>(choose: () => Promise<T>): Promise<T> {
    return this.holdingLock(`sluice:${this.schema}:names`, CHOOSING_TABLE, choose);
  }

  /**
   * A transaction's lock, which ends with it: a session's lock would stay with whichever server
   * connection a pooler in transaction mode ran it on, and hold up other syncs until that connection closed.
   */
  private holdingLock<T>(name: string, what: Replay, work: () => Promise<T>): Promise<T> {
    return this.transaction(what, async () => {
      await this.client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [name]);
      return work();
    });
  }

  /**
   * A sync's end commits durably: the pages before it, committed lazily, reach the disk with it. A sync
   * that failed because its connection was lost (a restart, a failover, an administrator) is closed over
   * a new one (see reconnectIfLost), rather than left marked running until the connector's next sync.
   */
  protected override async updateSync(id: number, outcome: SyncOutcome): Promise<void> {
    await this.transaction(closingOf(id), () => super.updateSync(id, outcome));
  }

  protected writerFor(opened: OpenedTable): PostgresTable {
    return new PostgresTable(this, opened);
  }

  async close(): Promise<void> {
    this.waits.abort();
    await this.client.end().catch(() => {});
  }

  wrap(error: unknown): Error {
    if (error instanceof SluiceError) return error;
    return postgresError(this.location, this.client, error);
  }
}

/** What a transaction does, for the warning when it runs again (see transaction). */
interface Replay {
  during: string;
  again: string;
}

const PAGE: Replay = { during: "a page's transaction", again: "the page is written again" };
const MAKING_OWN_TABLES: Replay = { during: "the making of Sluice's own tables", again: "they are made again" };
const CHECKPOINT: Replay = { during: "a checkpoint's transaction", again: "the checkpoint is saved again" };
const OPENING_ENTRY: Replay = { during: "the opening of the sync's log entry", again: "it is opened again" };
const CHOOSING_TABLE: Replay = { during: "the choice of a stream's table", again: "it is chosen again" };
const closingOf = (id: number): Replay => ({
  during: `the closing of sync #${id}'s log entry`,
  again: "it is closed again",
});
const changeOf = (table: string): Replay => ({
  during: `a change of table "${table}"`,
  again: "the change is made again",
});

/** How a transaction carrying `checkpoint` (if any) commits: durably only when the checkpoint asks. */
const commitOf = (checkpoint: Checkpoint | undefined) => (checkpoint?.durable ? "durable" : "lazy");

/** Encodes rows[from, to) as COPY text. */
type ChunkEncoder = (rows: Row[], from: number, to: number) => string;

/** Rows per COPY message: small enough that encoding and the server's parsing overlap, big enough to cost nothing. */
const COPY_CHUNK_ROWS = 500;

class PostgresTable extends BaseTableWriter {
  private readonly pg: PostgresStore;
  /** Where a page waits before it is merged (see pageTableStatements). */
  private pageTable = "";

  constructor(store: PostgresStore, opened: OpenedTable) {
    super(store, opened);
    this.pg = store;
  }

  private get target(): string {
    return this.pg.qualified(this.opened.target);
  }

  protected async writePage(rows: Row[], syncId: number, checkpoint: Checkpoint | undefined): Promise<WriteCounts> {
    const segments = pageSegments(rows, this.opened.spec.primaryKey);
    const keyed = this.opened.keyColumns.length > 0;
    const written = await this.pg.transaction(
      PAGE,
      async () => {
        const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
        for (const [index, segment] of segments.entries()) {
          if (index > 0) await this.pg.client.query(`DELETE FROM pg_temp.${quote(this.pageTable)}`);
          const encode = this.encoder(segment.delete, keyed ? undefined : syncId);
          if (!keyed) {
            await this.copy(this.target, [...this.columns.map((c) => c.column), SYNC_ID_COLUMN], segment.rows, encode);
            counts.inserted += segment.rows.length;
            continue;
          }
          await this.copy(
            `pg_temp.${quote(this.pageTable)}`,
            this.columns.map((c) => c.column),
            segment.rows,
            encode,
          );
          if (segment.delete) counts.deleted = (counts.deleted ?? 0) + (await this.deleteKeys());
          else {
            const merged = await this.merge(syncId);
            counts.inserted += merged.inserted;
            counts.updated += merged.updated;
            counts.unchanged += segment.rows.length - merged.inserted - merged.updated;
          }
        }
        if (checkpoint) await this.pg.saveCheckpoint(checkpoint);
        return counts;
      },
      commitOf(checkpoint),
      keyed ? this.pageTableStatements() : "",
    );
    this.pg.notePage({ stream: this.opened.spec.stream, rows: rows.length, counts: written });
    return written;
  }

  /**
   * What encodes rows[from, to) as COPY text: key fields only for deletes,
   * and `syncId` last when given (append tables). Throws Misfit for a value
   * its column cannot hold.
   */
  private encoder(keysOnly: boolean, syncId: number | undefined): ChunkEncoder {
    const columns = this.columns;
    const keyFields = new Set(this.opened.spec.primaryKey);
    const encoders = columns.map((c) => ENCODERS[c.type]);
    const fields = columns.map((c) => c.field);
    const skip = columns.map((c) => keysOnly && !keyFields.has(c.field));
    const end = syncId === undefined ? "\n" : `\t${syncId}\n`;
    return (rows, from, to) => {
      let text = "";
      for (let r = from; r < to; r++) {
        const row = rows[r];
        for (let c = 0; c < fields.length; c++) {
          const value = row[fields[c]];
          if (c > 0) text += "\t";
          text += value === null || value === undefined || skip[c] ? NULL_FIELD : encoders[c](value, c);
        }
        text += end;
      }
      return text;
    };
  }

  /**
   * COPYs rows into `table`, a chunk at a time: the server parses a chunk
   * while the next is encoded. A value that does not fit ends the COPY with
   * CopyFail (so the transaction can roll back) and is thrown as its Misfit.
   */
  private async copy(table: string, columns: string[], rows: Row[], encode: ChunkEncoder): Promise<void> {
    const stream = this.pg.client.query(copyFrom(`COPY ${table} (${columns.map(quote).join(", ")}) FROM STDIN`));
    let failed = false;
    const done = new Promise<void>((resolve, reject) => {
      stream.on("error", (error) => {
        failed = true;
        reject(error);
      });
      stream.on("finish", resolve);
    });
    // Awaited below; handled now, so a server error arriving between two chunks is not an unhandled rejection.
    done.catch(() => {});
    try {
      for (let from = 0; from < rows.length && !failed; from += COPY_CHUNK_ROWS) {
        stream.write(encode(rows, from, Math.min(from + COPY_CHUNK_ROWS, rows.length)));
        // Lets the socket take the chunk to the server before the next one is encoded.
        await new Promise(setImmediate);
      }
    } catch (error) {
      // CopyFail carries a message: a Misfit (the usual cause) has none.
      if (!failed)
        stream.destroy(new Error(error instanceof Misfit ? "a value did not fit its column" : String(error)));
      await done.catch(() => {});
      throw error;
    }
    if (!failed) stream.end();
    await done;
  }

  /**
   * Names the page table for the current columns and returns what makes it, in the page's own transaction,
   * where this server connection has none yet: behind a pooler in transaction mode each transaction may run
   * on another. Named by its columns, so a table of that name (this session's, or another client's on a
   * pooled connection) always fits, and a new column means a new table. Kept for the session, emptied at
   * each commit: no catalog rows written per page, and no notice that it exists already.
   */
  private pageTableStatements(): string {
    const columns = this.columns.map((c) => `${quote(c.column)} ${PG_TYPES[c.type]}`).join(", ");
    this.pageTable = `_sluice_page_${createHash("sha256").update(columns).digest("hex").slice(0, 16)}`;
    return (
      "SET LOCAL client_min_messages TO warning; " +
      `CREATE TEMPORARY TABLE IF NOT EXISTS ${quote(this.pageTable)} (${columns}) ON COMMIT DELETE ROWS`
    );
  }

  private async merge(syncId: number): Promise<{ inserted: number; updated: number }> {
    const keys = this.opened.keyColumns;
    const names = this.columns.map((c) => quote(c.column));
    const values = this.columns.filter((c) => !keys.includes(c.column)).map((c) => quote(c.column));
    const conflict = `ON CONFLICT (${keys.map(quote).join(", ")})`;
    const action = values.length
      ? `DO UPDATE SET ${[...values, quote(SYNC_ID_COLUMN)].map((c) => `${c} = excluded.${c}`).join(", ")}, ` +
        `${quote(VERSION_COLUMN)} = t.${quote(VERSION_COLUMN)} + 1 ` +
        `WHERE (${values.map((c) => `t.${c}`).join(", ")}) IS DISTINCT FROM (${values.map((c) => `excluded.${c}`).join(", ")})`
      : "DO NOTHING";
    const [counts] = await this.pg.query<{ inserted: number; updated: number }>(
      `WITH merged AS (
         INSERT INTO ${this.target} AS t (${names.join(", ")}, ${quote(SYNC_ID_COLUMN)})
         SELECT ${names.join(", ")}, $1::bigint FROM pg_temp.${quote(this.pageTable)}
         ${conflict} ${action}
         RETURNING (xmax = 0) AS inserted
       )
       SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM merged`,
      [syncId],
    );
    return counts;
  }

  private async deleteKeys(): Promise<number> {
    const keys = this.opened.keyColumns.map(quote);
    const result = await this.pg.client.query(
      `DELETE FROM ${this.target} AS t USING pg_temp.${quote(this.pageTable)} AS p WHERE ${keys.map((k) => `t.${k} = p.${k}`).join(" AND ")}`,
    );
    return result.rowCount ?? 0;
  }

  async addColumns(columns: Column[]): Promise<void> {
    if (!columns.length) return;
    const additions = columns.map((c) => `ADD COLUMN ${quote(c.column)} ${PG_TYPES[c.type]}`);
    await this.pg.transaction(changeOf(this.opened.target), () =>
      this.pg.client.query(`ALTER TABLE ${this.target} ${additions.join(", ")}`),
    );
  }

  async registerMappings(mappings: ColumnMapping[]): Promise<void> {
    if (!mappings.length) return;
    await this.pg.transaction(changeOf(this.opened.target), async () => {
      for (const { field, column } of mappings)
        await this.pg.client.query(
          `INSERT INTO ${this.pg.qualified("_sluice_columns")} (table_name, field, column_name) VALUES ($1, $2, $3)
           ON CONFLICT (table_name, field) DO UPDATE SET column_name = excluded.column_name`,
          // The field name as JSON text: PostgreSQL text cannot hold U+0000, which a field name may.
          [this.opened.target, JSON.stringify(field), column],
        );
    });
  }

  protected async widenColumn(column: Column, to: ColumnType): Promise<ColumnType> {
    const name = quote(column.column);
    await this.pg.transaction(changeOf(this.opened.target), () =>
      this.pg.client.query(
        `ALTER TABLE ${this.target} ALTER COLUMN ${name} TYPE ${PG_TYPES[to]} USING ${widenUsing(name, column.type, to)}`,
      ),
    );
    return to;
  }

  protected async replaceTable(checkpoint: Checkpoint | undefined): Promise<void> {
    const { table, target, spec } = this.opened;
    const columns = this.pg.qualified("_sluice_columns");
    await this.pg.transaction(
      changeOf(table),
      async () => {
        await this.pg.client.query(`DROP TABLE IF EXISTS ${this.pg.qualified(table)}`);
        await this.pg.client.query(`ALTER TABLE ${this.pg.qualified(target)} RENAME TO ${quote(table)}`);
        await this.pg.client.query(`DELETE FROM ${columns} WHERE table_name = $1`, [table]);
        await this.pg.client.query(`UPDATE ${columns} SET table_name = $1 WHERE table_name = $2`, [table, target]);
        await this.pg.client.query(
          `UPDATE ${this.pg.qualified("_sluice_tables")} SET primary_key = $1 WHERE table_name = $2`,
          [JSON.stringify(spec.primaryKey), table],
        );
        if (checkpoint) await this.pg.saveCheckpoint(checkpoint);
      },
      commitOf(checkpoint),
    );
  }
}

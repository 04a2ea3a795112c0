/**
 * The sync log and the saved state for the stores that speak the same SQL for
 * them, PostgreSQL and DuckDB ($n parameters, now(), INSERT … ON CONFLICT,
 * RETURNING), over the small primitives each of them supplies. SQLite keeps
 * its own: its calls are synchronous (they run inside better-sqlite3's
 * transactions) and it writes the times itself.
 */
import { BaseStore, outcomeValues, type RunningEntry, settleRunning } from "./base.js";
import type { Checkpoint } from "./checkpoint-gate.js";
import type { SyncLogEntry, SyncOutcome, SyncOwner } from "./types.js";

/** A value both stores bind as a parameter. */
export type SqlValue = string | number | bigint | boolean | null;

export abstract class SqlStore extends BaseStore {
  /** `name` as the store's qualified table name (schema and quotes). */
  abstract qualified(name: string): string;
  /** Runs one statement on the store's connection (inside its transaction when called from one); rows as objects. */
  abstract rows<T>(sql: string, values?: SqlValue[]): Promise<T[]>;
  /** SQL for a timestamp column as ISO 8601 text in UTC, as the sync log reports times. */
  protected abstract isoTime(column: string): string;
  /** Whether the sync log has its owner column (a role that does not own an older log cannot add it). */
  protected recordsOwners = true;

  protected async readState(connector: string): Promise<string> {
    const rows = await this.rows<{ state: string }>(
      `SELECT state FROM ${this.qualified("_sluice_state")} WHERE connector = $1`,
      [connector],
    );
    return rows[0]?.state ?? "";
  }

  protected async writeState(checkpoint: Checkpoint): Promise<void> {
    await this.saveCheckpoint(checkpoint);
  }

  /** Saves a checkpoint; inside a page's or a replacement's transaction when called from one. */
  async saveCheckpoint({ connector, state, syncId }: Checkpoint): Promise<void> {
    await this.rows(
      `INSERT INTO ${this.qualified("_sluice_state")} (connector, state, sync_id, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (connector) DO UPDATE SET state = excluded.state, sync_id = excluded.sync_id, updated_at = excluded.updated_at`,
      [connector, state, syncId],
    );
  }

  async beginSync(connector: string, protocol: string, owner?: SyncOwner): Promise<number> {
    return this.guard(async () => {
      await this.ensureCreated();
      return this.claiming(connector, async () => {
        if (owner) {
          const running = await this.selectRunning(connector);
          for (const ended of settleRunning(this.location, connector, running, owner))
            await this.updateSync(ended.id, ended.outcome);
        }
        return this.insertSync(connector, protocol, owner?.id);
      });
    });
  }

  /** Runs a sync's claim so that no other claim for the connector comes between: each store says how. */
  protected abstract claiming<T>(connector: string, claim: () => Promise<T>): Promise<T>;

  private async insertSync(connector: string, protocol: string, owner: string | undefined): Promise<number> {
    const set: Record<string, string> = {
      connector: "$1",
      protocol: "$2",
      status: "'running'",
      ...this.startingColumns,
    };
    if (this.recordsOwners) set.owner = "$3";
    const [{ id }] = await this.rows<{ id: number | bigint | string }>(
      `INSERT INTO ${this.qualified("_sluice_syncs")} (${Object.keys(set).join(", ")}) VALUES (${Object.values(set).join(", ")}) RETURNING id`,
      this.recordsOwners ? [connector, protocol, owner ?? null] : [connector, protocol],
    );
    return Number(id);
  }

  /** Columns a store's sync log sets as an entry begins, beyond the standard ones: name → SQL expression. */
  protected get startingColumns(): Record<string, string> {
    return {};
  }

  /** The connector's entries marked running with an owner recorded. */
  protected async selectRunning(connector: string): Promise<RunningEntry[]> {
    if (!this.recordsOwners) return [];
    const rows = await this.rows<{ id: number | bigint | string; owner: string }>(
      `SELECT id, owner FROM ${this.qualified("_sluice_syncs")} WHERE connector = $1 AND status = 'running' AND owner IS NOT NULL`,
      [connector],
    );
    return rows.map((r) => ({ id: Number(r.id), owner: r.owner }));
  }

  protected async updateSync(id: number, outcome: SyncOutcome): Promise<void> {
    await this.rows(
      `UPDATE ${this.qualified("_sluice_syncs")} SET finished_at = now(), status = $1, pages = $2, inserted = $3,
          updated = $4, unchanged = $5, message = $6, error = $7 WHERE id = $8`,
      [...outcomeValues(outcome), id],
    );
  }

  protected async selectSyncs(limit: number): Promise<SyncLogEntry[]> {
    // `*`: a sync log from before 2026-12 has no owner column, and reading does not add it.
    type Read = SyncLogEntry & { started_at: unknown; finished_at: unknown; alive_at?: Date | null; read_at: Date };
    const rows = await this.rows<Read>(
      `SELECT *, ${this.isoTime("started_at")} AS "startedAt", ${this.isoTime("finished_at")} AS "finishedAt",
          now() AS read_at
         FROM ${this.qualified("_sluice_syncs")} ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    // Counters come back as bigints (DuckDB's BIGINT) or strings (PostgreSQL's bigserial): the log reports numbers.
    // alive_at (PostgreSQL's markAlive) is told as the silence since, by the store's clock: the machines' may differ.
    return rows.map(({ started_at: _started, finished_at: _finished, alive_at, read_at, ...r }) => ({
      ...r,
      ...(r.status === "running" && alive_at ? { silentSeconds: (read_at.getTime() - alive_at.getTime()) / 1000 } : {}),
      owner: r.owner ?? null,
      id: Number(r.id),
      pages: Number(r.pages),
      inserted: Number(r.inserted),
      updated: Number(r.updated),
      unchanged: Number(r.unchanged),
    }));
  }
}

/**
 * What every store shares, over each store's own SQL: which table a stream
 * gets (registry, clashes, identifier limits), which column each field gets,
 * the changed-primary-key check, new fields as new columns, columns widened
 * when a value does not fit (a page is retried after the widening, so no
 * record fails forever on a type), records checked before anything is
 * written, checkpoints held back while a replacing table is unfinished, and
 * a replacing table swapped in with the checkpoint it held.
 */
import { type Checkpoint, CheckpointGate } from "./checkpoint-gate.js";
import { assignTable, type ColumnMapping, ColumnNames, type RegisteredTable, stagingTable } from "./naming.js";
import {
  type Checkpoint as StateCheckpoint,
  type ColumnType,
  DELETE,
  PrimaryKeyChangedError,
  RecordError,
  type Row,
  type Store,
  StoreError,
  NOTHING_WRITTEN,
  type StoreKind,
  type SyncLogEntry,
  type SyncOutcome,
  type SyncOwner,
  SyncRunningError,
  type TableSpec,
  type TableWriter,
  type WriteCounts,
} from "./types.js";
import { jsonText, typeOfValue, widen } from "./values.js";

/** A data column: the record field it holds, its name in the table, its type. */
export interface Column {
  field: string;
  column: string;
  type: ColumnType;
}

export interface StoreLimits {
  /** Longest table or column name, in bytes of UTF-8. */
  identifierBytes: number;
  /** Most data columns a table may have (the store's own limit less Sluice's columns). */
  columns: number;
}

/**
 * Thrown by a store while converting a page, before anything of it is
 * written: the value cannot be stored exactly in column `index`; widen it to
 * `needs` and write the page again. A signal between the store and its base,
 * never seen outside, so not an error.
 */
export class Misfit {
  constructor(
    readonly index: number,
    readonly needs: ColumnType,
    readonly value: unknown,
  ) {}
}

/** A table being written: its stream, its final and current (staging) names, its columns. */
export interface OpenedTable {
  spec: TableSpec;
  /** The stream's table. */
  table: string;
  /** Where rows go now: the table, or its staging table while replacing. */
  target: string;
  columns: Column[];
  /** Primary key columns (mapped names), in key order. */
  keyColumns: string[];
  names: ColumnNames;
}

const sameKey = (a: string[], b: string[]) => a.length === b.length && a.every((field, i) => field === b[i]);

export abstract class BaseStore implements Store {
  abstract readonly kind: StoreKind;
  abstract readonly location: string;
  protected abstract readonly limits: StoreLimits;
  readonly gate = new CheckpointGate();
  warn: ((message: string) => void) | undefined;
  private creating: Promise<void> | undefined;

  // ---- each store's SQL ----
  /** Creates the database, schema and meta tables when missing; called before the first write only. */
  protected abstract create(): Promise<void>;
  /** Whether the store exists (reads of a missing store find nothing and create nothing). */
  abstract exists(): Promise<boolean>;
  protected abstract registeredTables(): Promise<RegisteredTable[]>;
  /** Names of all tables (and views) in the store's schema. */
  protected abstract existingTables(): Promise<string[]>;
  protected abstract register(entry: RegisteredTable): Promise<void>;
  /** The data columns of a table (not Sluice's own), in order; empty when it does not exist. */
  protected abstract columnsOf(table: string): Promise<{ column: string; type: ColumnType }[]>;
  protected abstract mappingsOf(table: string): Promise<ColumnMapping[]>;
  /** Drops a table and its column mappings. */
  protected abstract dropTable(table: string): Promise<void>;
  protected abstract createTable(table: string, columns: Column[], keyColumns: string[]): Promise<void>;
  protected abstract writerFor(opened: OpenedTable): BaseTableWriter;
  protected abstract readState(connector: string): Promise<string>;
  /** Saves a checkpoint outside any page (a state message with no records). */
  protected abstract writeState(checkpoint: Checkpoint): Promise<void>;
  /**
   * See Store.beginSync: the claim (settling the connector's running entries with settleRunning, then
   * logging the new one) so that no other claim for the connector comes between it: two syncs started
   * at once see each other.
   */
  abstract beginSync(connector: string, protocol: string, owner?: SyncOwner): Promise<number>;
  protected abstract updateSync(id: number, outcome: SyncOutcome): Promise<void>;
  protected abstract selectSyncs(limit: number): Promise<SyncLogEntry[]>;
  /** The store's own error as a StoreError naming the store (records errors pass through). */
  abstract wrap(error: unknown): Error;
  abstract close(): Promise<void>;

  /** Creates the store once, on the first call that writes. */
  protected ensureCreated(): Promise<void> {
    this.creating ??= this.create();
    return this.creating;
  }

  /** Runs `work`, turning the store's failures into StoreErrors. */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw error instanceof Misfit ? error : this.wrap(error);
    }
  }

  async openTable(spec: TableSpec): Promise<TableWriter> {
    await this.guard(() => this.ensureCreated());
    return this.guard(() => this.openTableNow(spec));
  }

  /**
   * Runs the choice of a stream's table and its registration where no other process choosing at the
   * same time could take the same name (two would otherwise both pick it, and one fail on the
   * registry's key); stores that processes share say how (a lock), the others need nothing.
   */
  protected naming<T>(choose: () => Promise<T>): Promise<T> {
    return choose();
  }

  private async openTableNow(spec: TableSpec): Promise<TableWriter> {
    const owner = { connector: spec.connector, stream: spec.stream };
    const { table, registration } = await this.naming(async () => {
      const assigned = assignTable(
        spec.table,
        owner,
        await this.registeredTables(),
        await this.existingTables(),
        this.limits.identifierBytes,
      );
      if (!assigned.registration) await this.register({ table: assigned.table, ...owner, primaryKey: spec.primaryKey });
      return assigned;
    });
    if (registration && !spec.replace && !sameKey(registration.primaryKey, spec.primaryKey))
      throw new PrimaryKeyChangedError(this.location, spec.stream, table, registration.primaryKey, spec.primaryKey);
    const target = spec.replace ? stagingTable(table, this.limits.identifierBytes) : table;
    if (spec.replace) await this.dropTable(target);
    const existing = await this.columnsOf(target);
    if (registration && !spec.replace && existing.length === 0) this.warnTableGone(spec, table);
    const names = new ColumnNames(
      existing.map((c) => c.column),
      await this.mappingsOf(target),
      this.limits.identifierBytes,
    );
    const columns = existing.map(({ column, type }) => ({ field: names.fieldOf(column) ?? column, column, type }));
    const opened: OpenedTable = { spec, table, target, columns, keyColumns: [], names };
    const declared = spec.columns.map((c) => ({ field: c.name, type: c.type }));
    for (const field of spec.primaryKey)
      if (!declared.some((c) => c.field === field)) declared.push({ field, type: "any" });
    const mapped = this.mapFields(opened, declared);
    opened.keyColumns = spec.primaryKey.map((field) => names.columnOf(field)!);
    if (existing.length === 0) await this.createTable(target, mapped.added, opened.keyColumns);
    const writer = this.writerFor(opened);
    if (existing.length > 0) await writer.addColumns(mapped.added);
    await writer.registerMappings(mapped.renamed);
    return writer;
  }

  /**
   * A table registered to a stream was dropped by someone else, most likely to have it loaded again:
   * an incremental sync, resuming from its saved state, would refill only what changed since.
   */
  private warnTableGone(spec: TableSpec, table: string): void {
    this.warn?.(
      `table "${table}" (stream "${spec.stream}" of ${spec.connector}) is gone from ${this.location}, dropped outside Sluice: ` +
        "it is made again, empty, and this sync goes on from the connector's saved state, so rows read before are not read again; " +
        "to load them all again, sync with --full-refresh",
    );
  }

  /**
   * Gives new fields their columns (appended to the table's columns);
   * returns them, and the renamed fields to register.
   */
  mapFields(
    opened: OpenedTable,
    fields: { field: string; type: ColumnType }[],
  ): { added: Column[]; renamed: ColumnMapping[] } {
    const added: Column[] = [];
    const renamed: ColumnMapping[] = [];
    for (const { field, type } of fields) {
      if (opened.names.columnOf(field) !== undefined) continue;
      if (opened.columns.length >= this.limits.columns)
        throw new StoreError(
          this.location,
          `stream "${opened.spec.stream}": field "${field}" would be column ${this.limits.columns + 1} of table "${opened.table}", ` +
            `over the store's limit of ${this.limits.columns} columns per table`,
        );
      const { column, renamed: isRenamed } = opened.names.assign(field);
      const entry = { field, column, type };
      added.push(entry);
      opened.columns.push(entry);
      if (isRenamed) renamed.push({ field, column });
    }
    return { added, renamed };
  }

  async loadState(connector: string): Promise<string> {
    return this.guard(async () => ((await this.exists()) ? this.readState(connector) : ""));
  }

  async saveState(connector: string, state: string, syncId: number, options?: { durable?: boolean }): Promise<void> {
    const checkpoint = this.gate.pass({ connector, state, syncId, durable: options?.durable });
    if (!checkpoint) return;
    await this.guard(async () => {
      await this.ensureCreated();
      await this.writeState(checkpoint);
    });
  }

  async finishSync(id: number, outcome: SyncOutcome): Promise<void> {
    await this.guard(() => this.updateSync(id, outcome));
  }

  async listSyncs(limit: number): Promise<SyncLogEntry[]> {
    return this.guard(async () => ((await this.exists()) ? this.selectSyncs(limit) : []));
  }
}

/** A log entry still marked running, as a claim reads it. */
export interface RunningEntry {
  id: number;
  owner: string;
  /** Seconds since its sync last said it runs (Store.markAlive); undefined where the store keeps no such sign. */
  silentSeconds?: number;
}

/**
 * A sync that said nothing for this long is taken to have died. Syncs say they run every 30 s
 * (src/engine/sync-alive.ts), so this allows ten missed beats (or a page written that long).
 */
export const SILENT_LIMIT_SECONDS = 300;

/**
 * What a new sync's claim does with the connector's entries still marked running (see Store.beginSync):
 * refused with SyncRunningError while one's process runs; those whose process has ended are returned,
 * to be closed as interrupted. One this machine cannot see (another machine's) runs while it keeps
 * saying so; one silent past SILENT_LIMIT_SECONDS has ended; one with no signs kept is left. One of
 * the claiming owner whose end it kept (SyncOwner.unrecordedEnd) is returned with that end.
 */
export function settleRunning(
  location: string,
  connector: string,
  running: RunningEntry[],
  owner: SyncOwner,
): { id: number; outcome: SyncOutcome }[] {
  const ended: { id: number; outcome: SyncOutcome }[] = [];
  for (const entry of running) {
    const unrecorded = entry.owner === owner.id ? owner.unrecordedEnd?.(location, entry.id) : undefined;
    if (unrecorded) {
      ended.push({ id: entry.id, outcome: laterRecorded(unrecorded) });
      continue;
    }
    const seen = owner.stillRuns(entry.owner);
    const silent = entry.silentSeconds;
    const runs = seen ?? (silent === undefined ? undefined : silent < SILENT_LIMIT_SECONDS);
    if (runs) throw new SyncRunningError(location, connector, entry.id, owner.describe(entry.owner));
    if (runs === false) {
      const why =
        seen === false
          ? "ended before the sync did"
          : `gave no sign of life for ${Math.round(silent! / 60)} minutes (a Sluice that ran it has died or lost the store)`;
      ended.push({
        id: entry.id,
        outcome: {
          status: "failed",
          ...NOTHING_WRITTEN,
          error: `interrupted: ${owner.describe(entry.owner)} ${why} (the pages it committed stay)`,
        },
      });
    }
  }
  return ended;
}

/** An end recorded by a later sync, saying so. */
function laterRecorded(outcome: SyncOutcome): SyncOutcome {
  const note = "recorded by a later sync: the store was out of reach when this one ended";
  return outcome.error !== undefined
    ? { ...outcome, error: `${outcome.error} (${note})` }
    : { ...outcome, message: outcome.message ? `${outcome.message} (${note})` : note };
}

/** A finished sync's figures in the sync log's column order (status, pages, counts, message, error). */
export function outcomeValues(outcome: SyncOutcome): (string | number | null)[] {
  const { status, pages, inserted, updated, unchanged } = outcome;
  return [status, pages, inserted, updated, unchanged, outcome.message ?? null, outcome.error ?? null];
}

/** Throws a RecordError for the first row that is not an object or lacks a primary key field. */
export function checkRecords(stream: string, rows: Row[], primaryKey: string[]): void {
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index];
    if (row === null || typeof row !== "object" || Array.isArray(row))
      throw new RecordError(stream, index, `expected a JSON object, got ${JSON.stringify(row)?.slice(0, 80)}`);
    for (const key of primaryKey) {
      const value = row[key];
      if (value === null || value === undefined)
        throw new RecordError(stream, index, `primary key field "${key}" is missing (key: ${primaryKey.join(", ")})`);
    }
    if (primaryKey.length === 0 && (row as Record<symbol, unknown>)[DELETE] === true)
      throw new RecordError(stream, index, "a delete needs a primary key, and this stream has none");
  }
}

/**
 * JSON.stringify recurses, so a value nested some thousands of levels deep overflows the stack while a
 * page is converted: the record and field that did it, rather than the bare RangeError.
 */
function nestedTooDeep(stream: string, rows: Row[], error: unknown): RecordError | undefined {
  if (!(error instanceof RangeError)) return undefined;
  for (let index = 0; index < rows.length; index++)
    for (const field in rows[index]) {
      try {
        jsonText(rows[index][field]);
      } catch (failure) {
        if (failure instanceof RangeError)
          return new RecordError(stream, index, `field "${field}" is nested too deeply to be stored as JSON`);
      }
    }
  return undefined;
}

export const isDeletion = (row: Row): boolean => (row as Record<symbol, unknown>)[DELETE] === true;

/** A run of a page's rows that one set statement can apply: all deletes or all upserts, no key twice. */
export interface Segment {
  rows: Row[];
  delete: boolean;
}

/**
 * A page cut into segments, in page order, so set-based stores apply it as
 * row-by-row upserts would: a delete after an upsert of the same key wins,
 * and a key upserted twice is updated twice (a merge may not touch a row twice).
 */
export function pageSegments(rows: Row[], keyFields: string[]): Segment[] {
  const segments: Segment[] = [];
  let current: Segment | undefined;
  let seen = new Set<string>();
  const keyOf =
    keyFields.length === 1
      ? (row: Row) => String(row[keyFields[0]])
      : (row: Row) => keyFields.map((field) => String(row[field])).join("\u0000");
  for (const row of rows) {
    const deleting = isDeletion(row);
    const key = keyFields.length ? keyOf(row) : "";
    if (!current || current.delete !== deleting || (keyFields.length > 0 && seen.has(key))) {
      current = { rows: [], delete: deleting };
      segments.push(current);
      seen = new Set();
    }
    current.rows.push(row);
    if (keyFields.length) seen.add(key);
  }
  return segments;
}

/**
 * Writes pages into one table. The store supplies the page transaction
 * (rows and checkpoint together), adding and widening columns, and the
 * replacement of the table by its staging table.
 */
export abstract class BaseTableWriter implements TableWriter {
  /** A replacing table has staged rows (and holds checkpoints back until it finishes). */
  private staging = false;

  constructor(
    protected readonly store: BaseStore,
    protected readonly opened: OpenedTable,
  ) {}

  get table(): string {
    return this.opened.table;
  }

  protected get columns(): Column[] {
    return this.opened.columns;
  }

  /** One transaction: the rows (upserts and deletes in page order) and the checkpoint if any. */
  protected abstract writePage(rows: Row[], syncId: number, checkpoint: Checkpoint | undefined): Promise<WriteCounts>;
  /** Adds columns to the target table (they are already in `columns`). */
  abstract addColumns(columns: Column[]): Promise<void>;
  abstract registerMappings(mappings: ColumnMapping[]): Promise<void>;
  /** Changes a column's type so it holds what it held and the value that did not fit; returns the type it got. */
  protected abstract widenColumn(column: Column, to: ColumnType): Promise<ColumnType>;
  /** In one transaction: the staging table takes the table's place (and its mappings), with the held checkpoint. */
  protected abstract replaceTable(checkpoint: Checkpoint | undefined): Promise<void>;

  async write(rows: Row[], syncId: number, checkpoint?: StateCheckpoint): Promise<WriteCounts> {
    const { spec } = this.opened;
    checkRecords(spec.stream, rows, spec.primaryKey);
    if (spec.replace && !this.staging) {
      // From the first staged row on, a checkpoint may count rows that a failure would drop.
      this.store.gate.opened();
      this.staging = true;
    }
    await this.store.guard(() => this.addFieldsOf(rows));
    const passed = this.store.gate.pass(checkpoint && { ...checkpoint, syncId });
    for (;;) {
      try {
        return await this.writePage(rows, syncId, passed);
      } catch (error) {
        if (!(error instanceof Misfit)) throw nestedTooDeep(spec.stream, rows, error) ?? this.store.wrap(error);
        await this.store.guard(() => this.widen(error));
      }
    }
  }

  async finish(): Promise<void> {
    if (!this.opened.spec.replace) return;
    const checkpoint = this.staging ? this.store.gate.finishing() : undefined;
    await this.store.guard(() => this.replaceTable(checkpoint));
    if (this.staging) this.store.gate.finished();
  }

  private async widen(misfit: Misfit): Promise<void> {
    const column = this.columns[misfit.index];
    const to = widen(column.type, misfit.needs);
    if (to === column.type)
      throw new StoreError(
        this.store.location,
        `stream "${this.opened.spec.stream}": field "${column.field}" has a value its column "${column.column}" (${column.type}) cannot hold: ${String(misfit.value).slice(0, 80)}`,
      );
    column.type = await this.widenColumn(column, to);
  }

  private async addFieldsOf(rows: Row[]): Promise<void> {
    const names = this.opened.names;
    let found: Map<string, ColumnType> | undefined;
    for (const row of rows) {
      for (const field in row) {
        if (names.columnOf(field) !== undefined || found?.has(field)) continue;
        (found ??= new Map()).set(field, typeOfValue(row[field]));
      }
    }
    if (!found) return;
    const { added, renamed } = this.store.mapFields(
      this.opened,
      [...found].map(([field, type]) => ({ field, type })),
    );
    await this.addColumns(added);
    await this.registerMappings(renamed);
  }
}

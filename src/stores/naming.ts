/**
 * How streams and fields get table and column names, the same on every store:
 * readable (a table name is the prefix and stream in lower case, Unicode
 * letters kept), within the store's identifier limit, and never two streams in
 * one table or two fields in one column. A clash is resolved against what is
 * already registered with a numbered suffix (`users_2`), which the store's
 * registry then keeps, so a stream keeps its table from one sync to the next.
 */
import { createHash } from "node:crypto";
import { UsageError } from "../errors.js";

/** Columns Sluice writes on every table; a field may not take these names. */
export const SYNC_ID_COLUMN = "_sluice_sync_id";
export const VERSION_COLUMN = "_sluice_version";
/** Names starting with this are Sluice's own (columns and tables). */
export const RESERVED_PREFIX = "_sluice_";
/** What a field named like one of Sluice's own columns is stored under: `field_` + its name. */
export const RESERVED_FIELD_PREFIX = "field_";

export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * `schema` when it can name a store's schema, else a usage error naming
 * `--schema` and why: empty or NUL on every store, or the store's own reason
 * (a name the database reserves, cuts or would read two ways).
 */
export function checkedSchema(schema: string, storeReason: (schema: string) => string | undefined): string {
  const reason =
    schema === ""
      ? "a schema needs a name (leave --schema out for the default)"
      : schema.includes("\u0000")
        ? "a schema name cannot hold the character NUL"
        : storeReason(schema);
  if (reason !== undefined) throw new UsageError(`--schema ${JSON.stringify(schema)}: ${reason}`);
  return schema;
}

/** The readable table name for a stream: `files_example_` + `Users` → `files_example_users`. */
export function tableCandidate(prefix: string, stream: string): string {
  const name = `${prefix}${stream}`
    .normalize("NFC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_]+/gu, "_")
    .replace(/^_+|_+$/g, "");
  if (name === "") return "stream";
  return /^\p{L}/u.test(name) ? name : `t_${name}`;
}

/** `files-example` → "files_example_" as the default table prefix. */
export function defaultTablePrefix(connector: string): string {
  return `${tableCandidate("", connector)}_`;
}

/** Eight hex digits that tell two long names apart after shortening. */
function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, cut between characters. */
function cutToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** `name` if it fits the limit, else a shortened name ending in a hash of the whole. */
export function fitIdentifier(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const hash = shortHash(name);
  return `${cutToBytes(name, maxBytes - hash.length - 1)}_${hash}`;
}

/** The n-th choice for `base` (n ≥ 2: `base_n`), within the limit. */
function numbered(base: string, n: number, maxBytes: number): string {
  if (n === 1) return fitIdentifier(base, maxBytes);
  const suffix = `_${n}`;
  return `${cutToBytes(fitIdentifier(base, maxBytes), maxBytes - suffix.length)}${suffix}`;
}

/** Names compare case-insensitively: SQLite and DuckDB do, and users type them both ways. */
export const nameKey = (name: string): string => name.toLowerCase();

export interface RegisteredTable {
  table: string;
  connector: string;
  stream: string;
  /** The stream's primary key (field names) when the table was created. */
  primaryKey: string[];
}

/**
 * The table for (connector, stream) asking for `candidate`: the registered
 * one it already has, or the first free name among candidate, candidate_2, …
 * (free: registered to nobody, and no unregistered table of that name exists —
 * Sluice never writes into a table it did not create).
 */
export function assignTable(
  candidate: string,
  owner: { connector: string; stream: string },
  registered: Iterable<RegisteredTable>,
  existingTables: Iterable<string>,
  maxBytes: number,
): { table: string; registration?: RegisteredTable } {
  const byName = new Map<string, RegisteredTable>();
  for (const entry of registered) byName.set(nameKey(entry.table), entry);
  const existing = new Set([...existingTables].map(nameKey));
  for (let n = 1; ; n++) {
    const name = numbered(candidate, n, maxBytes);
    const entry = byName.get(nameKey(name));
    if (entry) {
      if (entry.connector === owner.connector && entry.stream === owner.stream)
        return { table: entry.table, registration: entry };
      continue;
    }
    if (!existing.has(nameKey(name))) return { table: name };
  }
}

/** The name of the table a replacing stream fills until the sync succeeds. */
export function stagingTable(table: string, maxBytes: number): string {
  return fitIdentifier(`${RESERVED_PREFIX}staging_${table}`, maxBytes);
}

/** A field's column where it is not the field's own name. */
export interface ColumnMapping {
  field: string;
  column: string;
}

/**
 * Which column each field of one table is stored in. A field keeps its own
 * name unless that is impossible or taken: NUL becomes "_", an empty name
 * "_", Sluice's own names get `field_` in front, a name over the store's
 * limit is shortened with a hash, and a name already used by another field
 * (compared case-insensitively) gets a numbered suffix. Only such renamed
 * fields are registered; every other column is its field's own name.
 */
export class ColumnNames {
  private readonly byField = new Map<string, string>();
  private readonly byColumn = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(
    existingColumns: Iterable<string>,
    mappings: Iterable<ColumnMapping>,
    private readonly maxBytes: number,
  ) {
    const renamedTargets = new Set<string>();
    for (const { field, column } of mappings) {
      this.set(field, column);
      renamedTargets.add(column);
    }
    for (const column of existingColumns) {
      this.used.add(nameKey(column));
      if (!renamedTargets.has(column) && !column.startsWith(RESERVED_PREFIX) && !this.byField.has(column))
        this.set(column, column);
    }
  }

  private set(field: string, column: string): void {
    this.byField.set(field, column);
    this.byColumn.set(column, field);
  }

  /** The field a column holds. */
  fieldOf(column: string): string | undefined {
    return this.byColumn.get(column);
  }

  /** The column of a field already known. */
  columnOf(field: string): string | undefined {
    return this.byField.get(field);
  }

  /** Gives a new field its column; `renamed` says whether it is not the field's own name (and must be registered). */
  assign(field: string): { column: string; renamed: boolean } {
    const known = this.byField.get(field);
    if (known !== undefined) return { column: known, renamed: known !== field };
    let base = field.replaceAll("\u0000", "_") || "_";
    if (nameKey(base).startsWith(RESERVED_PREFIX)) base = `${RESERVED_FIELD_PREFIX}${base}`;
    for (let n = 1; ; n++) {
      const column = numbered(base, n, this.maxBytes);
      if (this.used.has(nameKey(column))) continue;
      this.used.add(nameKey(column));
      this.set(field, column);
      return { column, renamed: column !== field };
    }
  }
}

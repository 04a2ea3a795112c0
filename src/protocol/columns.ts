/**
 * The columnar page codec: rows <-> columns of typed values with null flags.
 * sluice.v1.Column is wire-identical to Qlik's (package qlik) Column, so the
 * Qlik paths reuse this codec.
 */
import { type Column, ValueFlag } from "./gen/sluice/v1/connector.js";

export type Row = Record<string, unknown>;

export interface Columns {
  names: string[];
  columns: Column[];
  rowCount: number;
}

type ColumnKind = "integers" | "doubles" | "strings";

function kindOf(values: unknown[]): ColumnKind {
  let kind: ColumnKind = "integers";
  for (const value of values) {
    if (value === null || value === undefined) continue;
    if (typeof value === "number" || typeof value === "boolean") {
      if (typeof value === "number" && !Number.isSafeInteger(value)) kind = "doubles";
    } else if (typeof value === "bigint") {
      // stays integer
    } else {
      return "strings";
    }
  }
  return kind;
}

function encodeColumn(values: unknown[]): Column {
  const kind = kindOf(values);
  const column: Column = { strings: [], doubles: [], integers: [], flags: [] };
  let anyNull = false;
  const flags: ValueFlag[] = [];
  for (const value of values) {
    const isNull = value === null || value === undefined;
    anyNull ||= isNull;
    flags.push(isNull ? ValueFlag.VALUE_FLAG_NULL : ValueFlag.VALUE_FLAG_NORMAL);
    if (kind === "strings") column.strings.push(isNull ? "" : typeof value === "string" ? value : JSON.stringify(value));
    else if (kind === "doubles") column.doubles.push(isNull ? 0 : Number(value));
    else column.integers.push(isNull ? 0 : Number(value));
  }
  if (anyNull) column.flags = flags;
  return column;
}

export function encodeColumns(rows: Row[], names = fieldNames(rows)): Columns {
  return {
    names,
    columns: names.map((name) => encodeColumn(rows.map((row) => row[name]))),
    rowCount: rows.length,
  };
}

export function decodeColumns(page: Columns): Row[] {
  const rows: Row[] = Array.from({ length: page.rowCount }, () => ({}));
  page.names.forEach((name, index) => {
    const column = page.columns[index];
    if (!column) return;
    const values = column.strings.length ? column.strings : column.doubles.length ? column.doubles : column.integers;
    const nullable = column.flags.length > 0;
    for (let row = 0; row < page.rowCount; row++) {
      const flag = nullable ? column.flags[row] : ValueFlag.VALUE_FLAG_NORMAL;
      rows[row][name] = flag === ValueFlag.VALUE_FLAG_NORMAL ? (values[row] ?? null) : null;
    }
  });
  return rows;
}

function fieldNames(rows: Row[]): string[] {
  const names = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) names.add(key);
  return [...names];
}

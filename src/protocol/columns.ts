/**
 * The columnar codec: rows <-> columns of typed values with null flags.
 * sluice.v1.Column is wire-identical to Qlik's revision-A Column (package
 * qlik), so one builder and one reader serve Sluice's columnar pages and
 * Qlik's columnar DataChunks alike.
 *
 * A column carries a text part (strings) and/or a number part (integers, or
 * doubles when any number of the chunk is not a safe integer). An array in
 * use holds one entry per row, with a placeholder where the row has no such
 * part; flags are empty when every value is Normal, else one per row.
 */
import { MalformedDataError } from "../errors.js";
import { type Cell, cellOf, isDual, type Numeric, toCell } from "./cells.js";
import { jsonText } from "./json.js";
import { readDouble, readVarint, readZigzag, type WireReader } from "./wire-reader.js";
import { messageFieldSize, packedSize, stringFieldSize, zigzagSize } from "./wire-size.js";

import type { Row } from "./rows.js";

export type { Row };

/** A column as both generated types (sluice.v1.Column, qlik.Column) see it. */
export interface WireColumn {
  strings: string[];
  doubles: number[];
  /** sint64 on the wire: an integer beyond 2^53 is a bigint (the generated encoder writes either). */
  integers: Numeric[];
  flags: number[];
}

export interface Columns {
  names: string[];
  columns: WireColumn[];
  rowCount: number;
}

/** Same numbers in sluice.v1.ValueFlag and qlik.ValueFlag. */
const enum Flag {
  Normal = 0,
  Null = 1,
  NullString = 2,
  NullNumber = 3,
}

/** Which parts a row's value has (bit 1: text, bit 2: number). */
const HAS_TEXT = 1;
const HAS_NUMBER = 2;

/** One column being filled, value by value, with its encoded size kept current. */
export class ColumnBuilder {
  private strings: string[] = [];
  private numbers: Numeric[] = [];
  private parts: number[] = [];
  private texts = 0;
  private numberCount = 0;
  private duals = 0;
  private nulls = 0;
  private allIntegers = true;
  private stringBytes = 0;
  private integerBytes = 0;

  add(cell: Cell): void {
    if (cell === null) {
      this.push("", 0, 0);
      this.nulls++;
    } else if (typeof cell === "string") {
      this.push(cell, 0, HAS_TEXT);
    } else if (isDual(cell)) {
      this.push(cell.text, cell.number, HAS_TEXT | HAS_NUMBER);
      this.duals++;
    } else {
      this.push("", cell, HAS_NUMBER);
    }
  }

  get rowCount(): number {
    return this.parts.length;
  }

  /** Bytes of this column as an encoded Column message. */
  get size(): number {
    const rows = this.parts.length;
    const textBytes = this.texts ? this.stringBytes : 0;
    const numberBytes = this.numberCount
      ? packedSize(this.allIntegers ? this.integerBytes : rows * 8)
      : this.texts
        ? 0
        : packedSize(rows);
    return textBytes + numberBytes + (this.hasFlags() ? packedSize(rows) : 0);
  }

  take(): WireColumn {
    const column: WireColumn = { strings: [], doubles: [], integers: [], flags: [] };
    if (this.texts) column.strings = this.strings;
    // Doubles only when some number is not an integer; a bigint beside them becomes its nearest double.
    if (this.numberCount && !this.allIntegers) column.doubles = this.numbers.map(Number);
    // A column of nulls only still fills integers, as it always has.
    else if (this.numberCount || !this.texts) column.integers = this.numbers;
    if (this.hasFlags()) column.flags = this.parts.map((parts) => this.flagOf(parts));
    this.reset();
    return column;
  }

  private push(text: string, number: Numeric, parts: number): void {
    this.strings.push(text);
    this.numbers.push(number);
    this.parts.push(parts);
    this.stringBytes += stringFieldSize(text);
    const integer = typeof number === "bigint" || Number.isSafeInteger(number);
    this.integerBytes += integer ? zigzagSize(number) : 10;
    if (parts & HAS_TEXT) this.texts++;
    if (parts & HAS_NUMBER) {
      this.numberCount++;
      if (!integer) this.allIntegers = false;
    }
  }

  /** Flags are needed for nulls, and for single-part values in a column using both parts. */
  private hasFlags(): boolean {
    const bothParts = this.texts > 0 && this.numberCount > 0;
    return this.nulls > 0 || (bothParts && (this.texts > this.duals || this.numberCount > this.duals));
  }

  private flagOf(parts: number): Flag {
    if (parts === 0) return Flag.Null;
    if (this.texts && !(parts & HAS_TEXT)) return Flag.NullString;
    if (this.numberCount && !(parts & HAS_NUMBER)) return Flag.NullNumber;
    return Flag.Normal;
  }

  private reset(): void {
    this.strings = [];
    this.numbers = [];
    this.parts = [];
    this.texts = this.numberCount = this.duals = this.nulls = this.stringBytes = this.integerBytes = 0;
    this.allIntegers = true;
  }
}

/** Rows of cells into columns, one builder per field; `size` is the encoded bytes of the columns. */
export class ColumnsBuilder {
  private readonly builders: ColumnBuilder[];

  constructor(fieldCount: number) {
    this.builders = Array.from({ length: fieldCount }, () => new ColumnBuilder());
  }

  addRow(cells: Cell[]): void {
    for (let i = 0; i < this.builders.length; i++) this.builders[i].add(cells[i] ?? null);
  }

  get rowCount(): number {
    return this.builders[0]?.rowCount ?? 0;
  }

  /** Bytes of the columns as repeated embedded Column messages. */
  get size(): number {
    let size = 0;
    for (const builder of this.builders) size += messageFieldSize(builder.size);
    return size;
  }

  take(): WireColumn[] {
    return this.builders.map((builder) => builder.take());
  }
}

/** A column whose arrays disagree with its row count. */
export class ColumnShapeError extends MalformedDataError {}

/**
 * The cells of one column, one per row. `rowCount` comes from the page, or
 * from the column itself; `what` names the column in errors.
 */
export function columnCells(column: WireColumn, rowCount = columnLength(column), what = "a column"): Cell[] {
  const { strings, flags } = column;
  const numbers = column.doubles.length ? column.doubles : column.integers;
  for (const [name, values] of [
    ["strings", strings],
    ["numbers", numbers],
    ["flags", flags],
  ] as const) {
    if (values.length !== 0 && values.length !== rowCount) {
      throw new ColumnShapeError(`${what}: ${name} has ${values.length} entries for ${rowCount} rows`);
    }
  }
  const hasText = strings.length > 0;
  const hasNumber = numbers.length > 0;
  const cells: Cell[] = new Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const flag = flags.length ? flags[row] : Flag.Normal;
    if (flag === Flag.Null) cells[row] = null;
    else {
      const text = hasText && flag !== Flag.NullString ? strings[row] : undefined;
      const number = hasNumber && flag !== Flag.NullNumber ? numbers[row] : undefined;
      cells[row] = cellOf(text, number);
    }
  }
  return cells;
}

/** The row count a column implies (Qlik's DataChunk does not carry one). */
export function columnLength(column: WireColumn): number {
  return Math.max(column.flags.length, column.strings.length, column.doubles.length, column.integers.length);
}

/** A Column message (either package's) from the reader: the generated decoder's result, without a BigInt per integer. */
export function readColumn(reader: WireReader): WireColumn {
  const column: WireColumn = { strings: [], doubles: [], integers: [], flags: [] };
  reader.fields({
    1: (wireType) => reader.repeatedString(wireType, column.strings),
    2: (wireType) => reader.repeated(wireType, 1, column.doubles, readDouble),
    3: (wireType) => reader.repeated(wireType, 0, column.integers, readZigzag),
    4: (wireType) => reader.repeated(wireType, 0, column.flags, readVarint),
  });
  return column;
}

/** Sluice columnar pages: a value that is not a number or null makes its column text. */
export function encodeColumns(rows: Row[], names = fieldNames(rows)): Columns {
  const builder = new ColumnBuilder();
  return {
    names,
    columns: names.map((name) => {
      const values = rows.map((row) => row[name]);
      const asCell = isNumeric(values) ? numericCell : textCell;
      for (const value of values) builder.add(asCell(value));
      return builder.take();
    }),
    rowCount: rows.length,
  };
}

/** Sluice columnar pages back into rows; a value with both parts reads as its text. */
export function decodeColumns(page: Columns): Row[] {
  const rows: Row[] = Array.from({ length: page.rowCount }, () => ({}));
  page.names.forEach((name, index) => {
    const column = page.columns[index];
    if (!column) return;
    const cells = columnCells(column, page.rowCount, `column "${name}" of a columnar page`);
    for (let row = 0; row < page.rowCount; row++) {
      const cell = cells[row];
      rows[row][name] = isDual(cell) ? cell.text : cell;
    }
  });
  return rows;
}

function isNumeric(values: unknown[]): boolean {
  return values.every(
    (v) => v === null || v === undefined || typeof v === "number" || typeof v === "boolean" || typeof v === "bigint",
  );
}

function numericCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  return typeof value === "bigint" ? toCell(value) : Number(value);
}

function textCell(value: unknown): Cell {
  return value === null || value === undefined ? null : typeof value === "string" ? value : jsonText(value);
}

/** Every key of any row, in order of first appearance. */
export function fieldNames(rows: Row[]): string[] {
  const names = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) names.add(key);
  return [...names];
}

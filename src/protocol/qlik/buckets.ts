/**
 * The bucket codec of qlik.connect's DataChunk. Values go row after row, each
 * as one string code and one number code:
 *   string code  >= 0 index into stringBucket, -1 no text, -2 empty text;
 *   number code  >= 0 index into doubleBucket, -1 no number, -2 the next
 *                number code is the integer itself, -3 the entry continues
 *                the previous value (its text is appended; not a value).
 * A chunk may start and end anywhere in a row, even between a -2 and its
 * integer, so the decoder keeps its place across chunks.
 *
 * The encoder writes integers inline (-2), other numbers into doubleBucket,
 * and each distinct text once per chunk; it does not split texts with -3
 * (a value travels whole in one chunk).
 */
import { MalformedDataError } from "../../errors.js";
import { type Cell, cellOf, isDual, type Numeric, numberOf, textOf } from "../cells.js";
import type { DataChunk } from "../gen/qlik/connect/data_connector.js";
import { readDouble, readZigzag, WireReader } from "../wire-reader.js";
import { packedSize, stringFieldSize, zigzagSize } from "../wire-size.js";

/**
 * qlik.connect's DataChunk as this codec carries it: an inline integer beyond
 * 2^53 is a bigint (a sint64 on the wire, which the generated encoder writes
 * from a number or a bigint alike).
 */
export type BucketChunk = Omit<DataChunk, "numberCodes"> & { numberCodes: Numeric[] };

const NO_VALUE = -1;
const EMPTY_TEXT = -2;
const INLINE_INTEGER = -2;
const CONTINUATION = -3;

/** Rows of cells into one DataChunk at a time; `size` is its encoded bytes. */
export class BucketChunkBuilder {
  private stringBucket: string[] = [];
  private doubleBucket: number[] = [];
  private stringCodes: number[] = [];
  private numberCodes: Numeric[] = [];
  private stringIndex = new Map<string, number>();
  private bucketBytes = 0;
  private stringCodeBytes = 0;
  private numberCodeBytes = 0;
  private rows = 0;

  addRow(cells: Cell[]): void {
    for (const cell of cells) this.add(cell);
    this.rows++;
  }

  get rowCount(): number {
    return this.rows;
  }

  get size(): number {
    return (
      this.bucketBytes +
      packedSize(this.doubleBucket.length * 8) +
      packedSize(this.stringCodeBytes) +
      packedSize(this.numberCodeBytes)
    );
  }

  take(): BucketChunk {
    const chunk: BucketChunk = {
      stringBucket: this.stringBucket,
      doubleBucket: this.doubleBucket,
      stringCodes: this.stringCodes,
      numberCodes: this.numberCodes,
    };
    this.stringBucket = [];
    this.doubleBucket = [];
    this.stringCodes = [];
    this.numberCodes = [];
    this.stringIndex = new Map();
    this.bucketBytes = this.stringCodeBytes = this.numberCodeBytes = this.rows = 0;
    return chunk;
  }

  private add(cell: Cell): void {
    if (cell === null) {
      this.pushStringCode(NO_VALUE);
      this.pushNumberCode(NO_VALUE);
    } else if (typeof cell === "string") {
      this.pushStringCode(this.textCode(cell));
      this.pushNumberCode(NO_VALUE);
    } else if (isDual(cell)) {
      this.pushStringCode(this.textCode(cell.text));
      this.pushNumber(cell.number);
    } else {
      this.pushStringCode(NO_VALUE);
      this.pushNumber(cell);
    }
  }

  private pushNumber(number: Numeric): void {
    if (typeof number === "bigint" || Number.isSafeInteger(number)) {
      this.pushNumberCode(INLINE_INTEGER);
      this.pushNumberCode(number);
    } else {
      this.pushNumberCode(this.doubleBucket.length);
      this.doubleBucket.push(number);
    }
  }

  private pushStringCode(code: number): void {
    this.stringCodes.push(code);
    this.stringCodeBytes += zigzagSize(code);
  }

  private textCode(text: string): number {
    if (text === "") return EMPTY_TEXT;
    let index = this.stringIndex.get(text);
    if (index === undefined) {
      index = this.stringBucket.length;
      this.stringBucket.push(text);
      this.stringIndex.set(text, index);
      this.bucketBytes += stringFieldSize(text);
    }
    return index;
  }

  private pushNumberCode(code: Numeric): void {
    this.numberCodes.push(code);
    this.numberCodeBytes += zigzagSize(code);
  }
}

/** A chunk that breaks the bucket rules. */
export class BucketCodeError extends MalformedDataError {}

/** DataChunks back into rows of `fieldCount` cells, across chunk boundaries. */
export class BucketDecoder {
  private row: Cell[] = [];
  /** The last completed row, kept until a next value shows no -3 continuation will extend it. */
  private held: Cell[] | undefined;
  /** Where the last value sits, for -3 continuations. */
  private last: { row: Cell[]; index: number } | undefined;
  /** A chunk ended between a -2 and its integer: the text of that value waits here. */
  private awaitingInteger: { text: string | undefined } | undefined;
  private chunks = 0;

  constructor(private readonly fieldCount: number) {}

  /** Decodes one chunk; returns the rows it completed. */
  push(chunk: BucketChunk): Cell[][] {
    this.chunks++;
    const { stringCodes, numberCodes } = chunk;
    const rows: Cell[][] = [];
    let next = 0;
    if (this.awaitingInteger && numberCodes.length > 0) {
      this.commit(this.awaitingInteger.text, numberCodes[next++], rows);
      this.awaitingInteger = undefined;
    }
    for (let s = 0; s < stringCodes.length; s++) {
      if (this.awaitingInteger) throw this.error("a -2 number code has no integer after it");
      if (next >= numberCodes.length) throw this.error(`string code ${s} has no number code`);
      const text = this.text(stringCodes[s], chunk.stringBucket);
      const code = numberCodes[next++];
      if (code === CONTINUATION) this.continuePrevious(text);
      else if (code !== INLINE_INTEGER) this.commit(text, this.number(code, chunk.doubleBucket), rows);
      else if (next < numberCodes.length) this.commit(text, numberCodes[next++], rows);
      else this.awaitingInteger = { text };
    }
    if (next < numberCodes.length) throw this.error(`${numberCodes.length - next} number code(s) have no string code`);
    return rows;
  }

  /** At the end of the stream: the last row; throws when the stream stopped inside a row. */
  finish(): Cell[][] {
    if (this.row.length > 0 || this.awaitingInteger) {
      throw this.error(`the stream ended inside a row: ${this.row.length} of ${this.fieldCount} values arrived`);
    }
    const rows = this.held ? [this.held] : [];
    this.held = undefined;
    return rows;
  }

  private commit(text: string | undefined, number: Numeric | undefined, rows: Cell[][]): void {
    if (this.fieldCount === 0) throw this.error("values arrived but the header declares no fields");
    if (this.held) {
      rows.push(this.held);
      this.held = undefined;
    }
    this.row.push(cellOf(text, number));
    this.last = { row: this.row, index: this.row.length - 1 };
    if (this.row.length === this.fieldCount) {
      this.held = this.row;
      this.row = [];
    }
  }

  private continuePrevious(text: string | undefined): void {
    if (!this.last) throw this.error("a -3 continuation comes before any value");
    if (text === undefined) throw this.error("a -3 continuation has no string");
    const { row, index } = this.last;
    row[index] = cellOf((textOf(row[index]) ?? "") + text, numberOf(row[index]));
  }

  private text(code: number, bucket: string[]): string | undefined {
    if (code >= 0) {
      if (code >= bucket.length)
        throw this.error(`string code ${code} points past the string bucket (${bucket.length} entries)`);
      return bucket[code];
    }
    if (code === NO_VALUE) return undefined;
    if (code === EMPTY_TEXT) return "";
    throw this.error(`string code ${code} means nothing (expected >= -2)`);
  }

  private number(code: Numeric, bucket: number[]): number | undefined {
    if (typeof code === "bigint") throw this.error(`number code ${code} points past the double bucket`);
    if (code >= 0) {
      if (code >= bucket.length)
        throw this.error(`number code ${code} points past the double bucket (${bucket.length} entries)`);
      return bucket[code];
    }
    if (code === NO_VALUE) return undefined;
    throw this.error(`number code ${code} means nothing (expected >= -3)`);
  }

  private error(problem: string): BucketCodeError {
    return new BucketCodeError(`DataChunk ${this.chunks}: ${problem}`);
  }
}

/** A string code: an index or a small negative marker (a code beyond 2^53 points past any bucket all the same). */
const readCode = (reader: WireReader): number => Number(reader.zigzag());

/** DataChunk from its bytes: what the generated decoder gives, without a BigInt per number code. */
export function decodeBucketChunk(bytes: Uint8Array): BucketChunk {
  const chunk: BucketChunk = { stringBucket: [], doubleBucket: [], stringCodes: [], numberCodes: [] };
  const reader = new WireReader(bytes);
  reader.fields({
    1: (wireType) => reader.repeatedString(wireType, chunk.stringBucket),
    2: (wireType) => reader.repeated(wireType, 1, chunk.doubleBucket, readDouble),
    3: (wireType) => reader.repeated(wireType, 0, chunk.stringCodes, readCode),
    4: (wireType) => reader.repeated(wireType, 0, chunk.numberCodes, readZigzag),
  });
  return chunk;
}

/**
 * The two DataChunk forms behind one interface, so servers, clients and the
 * benchmark are written once: revision A's columns (package qlik, the codec
 * in ../columns.ts shared with Sluice's columnar pages) and qlik.connect's
 * buckets (./buckets.ts).
 */
import type { Cell } from "../cells.js";
import { columnCells, ColumnShapeError, ColumnsBuilder, columnLength, readColumn } from "../columns.js";
import type { WireColumn } from "../columns.js";
import { WireReader } from "../wire-reader.js";
import { type BucketChunk, BucketChunkBuilder, BucketDecoder, decodeBucketChunk } from "./buckets.js";

/** Revision A's DataChunk; its columns' integers may hold bigints (see WireColumn). */
export interface ColumnarChunk {
  cols: WireColumn[];
}

/** gRPC package of each revision: "qlik" is revision A, "qlik.connect" the final one. */
export type Revision = "qlik" | "qlik.connect";
export const REVISIONS: readonly Revision[] = ["qlik.connect", "qlik"];

/** The encoded size a DataChunk is cut at unless told otherwise: about 64 KB, as the API advises. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

export interface ChunkEncoder<C> {
  addRow(cells: Cell[]): void;
  readonly rowCount: number;
  /** Encoded bytes of the chunk so far. */
  readonly size: number;
  /** The chunk, and a fresh start. */
  take(): C;
}

export interface ChunkDecoder<C> {
  /** Rows the chunk completed; throws an Error naming the chunk when it breaks the rules. */
  push(chunk: C): Cell[][];
  /** Rows still held at the end of the stream; throws when it ended inside a row. */
  finish(): Cell[][];
}

export interface ChunkCodec<C> {
  encoder(fieldCount: number): ChunkEncoder<C>;
  decoder(fieldNames: string[]): ChunkDecoder<C>;
  /** The chunk from its bytes (faster than the generated decoder). */
  deserialize(bytes: Uint8Array): C;
}

export const bucketChunks: ChunkCodec<BucketChunk> = {
  encoder: () => new BucketChunkBuilder(),
  decoder: (fieldNames) => new BucketDecoder(fieldNames.length),
  deserialize: decodeBucketChunk,
};

export const columnarChunks: ChunkCodec<ColumnarChunk> = {
  encoder(fieldCount) {
    const columns = new ColumnsBuilder(fieldCount);
    return {
      addRow: (cells) => columns.addRow(cells),
      get rowCount() {
        return columns.rowCount;
      },
      get size() {
        return columns.size;
      },
      take: () => ({ cols: columns.take() }),
    };
  },
  decoder(fieldNames) {
    let chunks = 0;
    return {
      push(chunk) {
        chunks++;
        if (chunk.cols.length === 0) return [];
        if (chunk.cols.length !== fieldNames.length) {
          throw new ColumnShapeError(
            `DataChunk ${chunks}: ${chunk.cols.length} columns, but the header declares ${fieldNames.length} fields`,
          );
        }
        const rowCount = columnLength(chunk.cols[0]);
        const columns = chunk.cols.map((column, i) =>
          columnCells(column, rowCount, `DataChunk ${chunks}, field "${fieldNames[i]}"`),
        );
        return transpose(columns, rowCount);
      },
      finish: () => [],
    };
  },
  deserialize(bytes) {
    const reader = new WireReader(bytes);
    const chunk: ColumnarChunk = { cols: [] };
    reader.fields({
      1: (wireType) => (wireType === 2 ? chunk.cols.push(readColumn(reader.sub())) : reader.skip(wireType)),
    });
    return chunk;
  },
};

function transpose(columns: Cell[][], rowCount: number): Cell[][] {
  const rows: Cell[][] = new Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const row: Cell[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) row[c] = columns[c][r];
    rows[r] = row;
  }
  return rows;
}

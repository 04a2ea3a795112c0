/**
 * Reading a child's output as lines, once, in linear time: each chunk is
 * scanned for newlines only in its own new bytes, and a line is decoded once,
 * when complete (so a character split across chunks decodes whole). Lines
 * are bounded: a protocol message longer than its limit is an error naming
 * the limit; a log line longer than its limit is cut, with a note.
 */
import type { Readable } from "node:stream";
import { SluiceError } from "../errors.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** The longest protocol message read as one line (Airbyte, Singer): gRPC's limit on one page. */
export const MESSAGE_LINE_MAX_BYTES = 64 * MiB;
/** The longest log line kept whole (stderr, stdout chatter); longer ones are cut. */
export const LOG_LINE_MAX_BYTES = 64 * KiB;
/** The most output kept when a whole output is the answer (a Singer catalog). */
export const CAPTURE_MAX_BYTES = 64 * MiB;

/** "64 MiB", "1.5 MiB", "12 KiB", "300 bytes". */
export function formatSize(bytes: number): string {
  const [unit, size] = bytes >= MiB ? ["MiB", bytes / MiB] : bytes >= KiB ? ["KiB", bytes / KiB] : ["bytes", bytes];
  return `${Number.isInteger(size) ? size : size.toFixed(1)} ${unit}`;
}

export interface LineLimit {
  maxBytes: number;
  /** "fail": a longer line is an OutputTooLargeError; "cut": it is cut, noting how much was dropped. */
  overflow: "fail" | "cut";
  /** Whose output it is, for the error: `connector "faker"`. */
  source: string;
}

/** A line, or a whole output, beyond what Sluice reads. */
export class OutputTooLargeError extends SluiceError {
  constructor(
    message: string,
    readonly limitBytes: number,
  ) {
    super("OUTPUT_TOO_LARGE", message);
  }
}

/** Splits pushed chunks into lines (without "\n" or "\r\n") and hands each to `onLine`. */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private droppedBytes = 0;
  private lineNumber = 0;

  constructor(
    private readonly limit: LineLimit,
    private readonly onLine: (line: string, lineNumber: number) => void,
  ) {}

  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let newline = bytes.indexOf(10); newline >= 0; newline = bytes.indexOf(10, start)) {
      if (this.pendingBytes === 0 && this.droppedBytes === 0 && newline - start <= this.limit.maxBytes)
        this.deliver(bytes.toString("utf8", start, newline)); // the whole line is in this chunk
      else {
        this.keep(bytes.subarray(start, newline));
        this.emit();
      }
      start = newline + 1;
    }
    if (start < bytes.length) this.keep(bytes.subarray(start));
  }

  /** The output ended: a last line without a newline is still a line. */
  end(): void {
    if (this.pendingBytes > 0 || this.droppedBytes > 0) this.emit();
  }

  /** The line read so far (not yet ended by a newline). */
  partial(): string {
    return this.decode();
  }

  private keep(part: Buffer): void {
    const room = this.limit.maxBytes - this.pendingBytes;
    if (part.length <= room) {
      if (part.length > 0) this.pending.push(part);
      this.pendingBytes += part.length;
      return;
    }
    if (this.limit.overflow === "fail")
      throw new OutputTooLargeError(
        `${this.limit.source}: line ${this.lineNumber + 1} of its output is longer than ${formatSize(this.limit.maxBytes)}, the longest line Sluice reads as one message`,
        this.limit.maxBytes,
      );
    if (room > 0) this.keep(part.subarray(0, room));
    this.droppedBytes += part.length - Math.max(room, 0);
  }

  private emit(): void {
    let line = this.decode();
    if (this.droppedBytes > 0) line += `… (${formatSize(this.droppedBytes)} more cut)`;
    this.pending = [];
    this.pendingBytes = 0;
    this.droppedBytes = 0;
    this.deliver(line);
  }

  private deliver(line: string): void {
    this.lineNumber++;
    this.onLine(line.endsWith("\r") ? line.slice(0, -1) : line, this.lineNumber);
  }

  private decode(): string {
    if (this.pending.length === 1) return this.pending[0].toString("utf8");
    return Buffer.concat(this.pending, this.pendingBytes).toString("utf8");
  }
}

/** A stream's lines, as they arrive; never more than one line (and one chunk) in memory. */
export async function* readLines(stream: Readable, limit: LineLimit): AsyncGenerator<string> {
  const ready: string[] = [];
  const splitter = new LineSplitter(limit, (line) => ready.push(line));
  for await (const chunk of stream) {
    splitter.push(chunk as Buffer | string);
    yield* ready.splice(0);
  }
  splitter.end();
  yield* ready;
}

/** All of a stream's output as text, refusing more than `maxBytes`. */
export async function readAtMost(stream: Readable, maxBytes: number, source: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > maxBytes)
      throw new OutputTooLargeError(
        `${source}: its output is larger than ${formatSize(maxBytes)}, the most Sluice reads as one answer`,
        maxBytes,
      );
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

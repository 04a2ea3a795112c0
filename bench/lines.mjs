// Line reading benchmark: what src/process's readLines does with a child's
// output, arriving in 64 KiB chunks as a pipe delivers it. Two shapes of
// 16 MiB: one single line (the case that used to be quadratic) and 100-byte
// lines; each next to the limit measured in the same run, splitting the
// same bytes held in one buffer (indexOf + toString, no chunking). Prints
// one JSON object.
import { loadavg } from "node:os";
import { Readable } from "node:stream";
import { readLines } from "../dist/process/index.js";

const TOTAL = 16 * 1024 * 1024;
const CHUNK = 64 * 1024;
const limit = { maxBytes: 64 * 1024 * 1024, overflow: "fail", source: "bench" };

function chunks(buffer) {
  const parts = [];
  for (let at = 0; at < buffer.length; at += CHUNK) parts.push(buffer.subarray(at, at + CHUNK));
  return parts;
}

async function viaReadLines(buffer) {
  const started = performance.now();
  let lines = 0;
  for await (const line of readLines(Readable.from(chunks(buffer)), limit)) if (line.length >= 0) lines++;
  return { ms: performance.now() - started, lines };
}

function rawSplit(buffer) {
  const started = performance.now();
  let lines = 0;
  for (let start = 0, end = buffer.indexOf(10); start < buffer.length; end = buffer.indexOf(10, start)) {
    const stop = end < 0 ? buffer.length : end;
    if (buffer.toString("utf8", start, stop).length >= 0) lines++;
    start = stop + 1;
  }
  return { ms: performance.now() - started, lines };
}

function best(run, times = 5) {
  return async (buffer) => {
    let fastest;
    for (let i = 0; i < times; i++) {
      const result = await run(buffer);
      if (!fastest || result.ms < fastest.ms) fastest = result;
    }
    return fastest;
  };
}

const oneLine = Buffer.alloc(TOTAL, "x");
oneLine[TOTAL - 1] = 10;
const shortLines = Buffer.alloc(TOTAL, "y");
for (let at = 99; at < TOTAL; at += 100) shortLines[at] = 10;

const single = { sluice: await best(viaReadLines)(oneLine), raw: await best(rawSplit)(oneLine) };
const many = { sluice: await best(viaReadLines)(shortLines), raw: await best(rawSplit)(shortLines) };
const perSecond = (r) => Math.round(r.lines / (r.ms / 1000));
console.log(
  JSON.stringify({
    bench: "lines",
    bytes: TOTAL,
    chunkBytes: CHUNK,
    oneLine: { sluiceMs: +single.sluice.ms.toFixed(1), rawMs: +single.raw.ms.toFixed(1) },
    lines: many.sluice.lines,
    sluiceLinesPerSecond: perSecond(many.sluice),
    rawLinesPerSecond: perSecond(many.raw),
    ratioToRaw: +(perSecond(many.sluice) / perSecond(many.raw)).toFixed(2),
    loadAverage: loadavg().map((l) => +l.toFixed(2)),
  }),
);

/**
 * Reading children's output (issue 14.7): lines are split once, in linear
 * time, and bounded. Unit tests of the line splitter and the tail, then the
 * limits end to end: an Airbyte source whose line never ends, one whose
 * stderr never ends a line, and a Singer catalog that never ends.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import {
  LineSplitter,
  MESSAGE_LINE_MAX_BYTES,
  OutputTail,
  OutputTooLargeError,
  readAtMost,
  readLines,
} from "../src/process/index.js";
import { root, sluice, tempDir } from "./helpers.js";

const scripted = `node ${join(root, "test/fixtures/airbyte/scripted-source.mjs")}`;
const tap = `node ${join(root, "test/fixtures/singer/tap-scripted.mjs")}`;

function split(chunks: (string | Buffer)[], maxBytes = 1024, overflow: "fail" | "cut" = "fail"): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter({ maxBytes, overflow, source: "test" }, (line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

test("lines split across chunks, CRLF endings, a last line without newline, and a character split between chunks", () => {
  const snowman = Buffer.from("☃");
  assert.deepEqual(split(["a\nb", "c\r\n", "", "\n", "last"]), ["a", "bc", "", "last"]);
  assert.deepEqual(split([Buffer.concat([Buffer.from("x"), snowman.subarray(0, 1)]), snowman.subarray(1), "\n"]), [
    "x☃",
  ]);
});

test("a protocol line over the limit is an error naming the limit and the line; a log line is cut with a note", () => {
  assert.throws(
    () => split(["ok\n", "x".repeat(600), "x".repeat(600), "\n"], 1000),
    (error: unknown) =>
      error instanceof OutputTooLargeError &&
      error.code === "OUTPUT_TOO_LARGE" &&
      /test: line 2 of its output is longer than 1000 bytes/.test(error.message),
  );
  const [cut, next] = split(["y".repeat(2000), "y".repeat(2000), "\nnext\n"], 1024, "cut");
  assert.equal(cut, `${"y".repeat(1024)}… (2.9 KiB more cut)`);
  assert.equal(next, "next");
});

test("readLines yields lines as they arrive; readAtMost refuses more than its limit", async () => {
  const lines: string[] = [];
  for await (const line of readLines(Readable.from(["one\ntw", "o\nthree"]), {
    maxBytes: 100,
    overflow: "fail",
    source: "s",
  }))
    lines.push(line);
  assert.deepEqual(lines, ["one", "two", "three"]);
  assert.equal(await readAtMost(Readable.from([Buffer.from("abc"), Buffer.from("def")]), 6, "s"), "abcdef");
  await assert.rejects(
    readAtMost(Readable.from([Buffer.from("abc"), Buffer.from("defg")]), 6, "tap"),
    /tap: its output is larger than 6 bytes/,
  );
});

test("the tail keeps the last lines within its line and character bounds", () => {
  const tail = new OutputTail(3, 20);
  for (const line of ["1", "2", "3", "4"]) tail.add(line);
  assert.equal(tail.text(), "2\n3\n4");
  tail.add(`${"z".repeat(50)}end`);
  assert.equal(tail.text(), `${"z".repeat(10)}…${"z".repeat(7)}end`, "a long line keeps its start and its end");
  assert.equal(tail.text("partial"), `${"z".repeat(10)}…${"z".repeat(7)}end\npartial`);
});

test("an Airbyte source whose line never ends fails with the limit named, instead of exhausting memory", async (t) => {
  const dir = tempDir(t);
  const config = join(dir, "endless.json");
  writeFileSync(config, JSON.stringify({ records: 1, stateEvery: 1, endlessLine: true }));
  const result = await sluice(["airbyte", "sync", "-c", scripted, "--config", config, "--db", join(dir, "e.db")], {
    timeoutMs: 120_000,
  });
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `connector "scripted-source": line \\d+ of its output is longer than ${MESSAGE_LINE_MAX_BYTES / 1024 / 1024} MiB`,
    ),
  );
});

test("stderr that never ends a line is cut: the error quotes a bounded tail", async (t) => {
  const dir = tempDir(t);
  const config = join(dir, "flood.json");
  writeFileSync(config, JSON.stringify({ records: 1, stateEvery: 1, stderrFlood: 32 * 1024 * 1024 }));
  const result = await sluice(["airbyte", "sync", "-c", scripted, "--config", config, "--db", join(dir, "f.db")], {
    timeoutMs: 120_000,
  });
  assert.equal(result.code, 1);
  // Checked without quoting stderr on failure: before the fix it held all 32 MiB.
  assert.ok(result.stderr.length < 200_000, `the error stays small (${result.stderr.length} characters)`);
  assert.match(result.stderr, /`read` exited with code 3; its last output:\nx+…x+… \(31\.9 MiB more cut\)/);
});

test("a Singer catalog that never ends is refused at the limit", async (t) => {
  const dir = tempDir(t);
  const config = join(dir, "c.json");
  writeFileSync(config, JSON.stringify({ users: 1, endlessCatalog: true }));
  const result = await sluice(["singer", "discover", "-c", tap, "--config", config], { timeoutMs: 120_000 });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /its output is larger than 64 MiB/);
});

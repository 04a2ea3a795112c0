/** The error registry: docs/errors.md is rendered from it, and every error class and throw goes through it. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { ERRORS_DOC, renderErrorsDoc } from "../../scripts/errors-doc.mjs";
import { ERROR_CODES, SluiceError } from "../../src/errors.js";
import { root } from "../helpers.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "gen" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const sources = sourceFiles(join(root, "src")).map((path) => ({
  file: relative(root, path),
  text: readFileSync(path, "utf8"),
}));

test("docs/errors.md is the registry rendered (npm run docs:errors rewrites it)", () => {
  assert.equal(readFileSync(ERRORS_DOC, "utf8"), renderErrorsDoc(ERROR_CODES));
});

test("every code has a meaning and something to do, each one line", () => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code);
    for (const text of [info.meaning, info.action]) {
      assert.ok(text.length > 10 && !text.includes("\n"), `${code}: "${text}"`);
      assert.ok(/[.?]$/.test(text), `${code}: "${text}" ends a sentence`);
    }
  }
});

test("every error class is a SluiceError: none extends plain Error", () => {
  const plain = sources.flatMap(({ file, text }) =>
    [...text.matchAll(/class (\w+) extends Error\b/g)].map((m) => `${file}: ${m[1]}`),
  );
  assert.deepEqual(plain, ["src/errors.ts: SluiceError"]);
});

test("no code is a free string: every code a file passes is registered", () => {
  const registered = new Set(Object.keys(ERROR_CODES));
  const unknown = sources.flatMap(({ file, text }) =>
    [...text.matchAll(/(?:SluiceError|super|codeOf\([^,]+,)\(?\s*"([A-Z][A-Z0-9_]+)"/g)]
      .map((m) => m[1])
      .filter((code) => !registered.has(code))
      .map((code) => `${file}: ${code}`),
  );
  assert.deepEqual(unknown, []);
});

test("no bare strings are thrown, except where upstream's Code Climate SDK throws them", () => {
  const bare = sources.flatMap(({ file, text }) =>
    [...text.matchAll(/throw [`"']/g)].map(() => file).filter((f) => f !== "src/sdk/codeclimate/stream.ts"),
  );
  assert.deepEqual(bare, []);
});

test("a SluiceError's name is its class's, and its code is typed", () => {
  class Example extends SluiceError {}
  const error = new Example("USAGE", "example");
  assert.equal(error.name, "Example");
  assert.equal(error.code, "USAGE");
  assert.ok(error instanceof Error);
});

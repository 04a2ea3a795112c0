/** JSON mistakes in a manifest are shown at their line and column, also when the text ends too early. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeJsonSyntaxError } from "../../src/registry/manifest.js";

function errorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return describeJsonSyntaxError(text, (error as Error).message);
  }
  throw new Error("valid JSON");
}

test("a text that ends too early: the error points at its last line, not one past the end", () => {
  const lines = ["{", ...Array.from({ length: 30 }, (_, i) => `  "field${i}": ${i},`), '  "last": 1', ""];
  const message = errorOf(`${lines.join("\n")}\n`);
  assert.match(message, /^not valid JSON at line 32, column 12: /);
  assert.match(message, /\n {4} {2}"last": 1\n/);
});

test("a missing comma: the line and a word about the comma", () => {
  const message = errorOf('{\n  "a": 1\n  "b": 2\n}\n');
  assert.match(message, /^not valid JSON at line 3, column 3: .*is a comma missing/);
});

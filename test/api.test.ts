/** The package's public API (src/index.ts): docs/api.md's example runs as written, and names every export. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { root, run, tempDir } from "./helpers.js";

const doc = readFileSync(join(root, "docs/api.md"), "utf8");

test("docs/api.md: the sync example runs as written against the built package", async (t) => {
  const example = /```js\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, "docs/api.md has a js example");
  const dir = tempDir(t);
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules", "sluice"));
  symlinkSync(join(root, "examples"), join(dir, "examples"));
  writeFileSync(join(dir, "example.mjs"), example);
  const first = await run(process.execPath, ["example.mjs"], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '100 records from "generator" (sluice) into generator_users\n');
  const again = await run(process.execPath, ["example.mjs"], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
});

test("every value the package exports is in docs/api.md's table", async () => {
  const api = (await import("sluice")) as Record<string, unknown>;
  const missing = Object.keys(api).filter((name) => !doc.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
  assert.ok(Object.keys(api).length <= 30, `a small surface: ${Object.keys(api).length} names`);
});

/**
 * Code Climate connector authors build and test unchanged against the
 * codeclimate-connector-sdk Sluice provides: a connector written as the
 * published ones are (test/fixtures/codeclimate/codeclimate-connector-tickets:
 * TypeScript 3.8, ES5/CommonJS, a Jest 25 suite with ts-jest, installed by
 * scripts/build-codeclimate-fixture.sh) type-checks with upstream's loose
 * types, its suite passes with upstream's test helpers, and what it builds
 * runs under `sluice codeclimate` with warnings tagged once.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { fixtures, writeJson } from "./codeclimate-helpers.js";
import { query, root, run, sluice, tempDir } from "./helpers.js";

const project = join(fixtures, "codeclimate-connector-tickets");
const bin = (name: string) => join(project, "node_modules/.bin", name);

before(() => {
  // TypeScript 3.8 finds `sluice/codeclimate` through the package's typesVersions.
  const link = join(project, "node_modules/sluice");
  rmSync(link, { force: true });
  symlinkSync(root, link);
});

test("Sluice hands out its SDK as a package, linked into the fixture as an author installs it", async () => {
  const printed = await sluice(["codeclimate", "sdk"]);
  assert.equal(printed.code, 0, printed.stderr);
  const folder = printed.stdout.trim();
  assert.deepEqual(JSON.parse(readFileSync(join(folder, "package.json"), "utf8")).name, "codeclimate-connector-sdk");
  assert.ok(existsSync(join(folder, "lib/TestHelpers/index.js")));
  assert.equal(
    readFileSync(join(project, "node_modules/codeclimate-connector-sdk/package.json"), "utf8"),
    readFileSync(join(folder, "package.json"), "utf8"),
  );
});

test("a TypeScript 3.8 connector type-checks and builds against it, loose types included", async () => {
  const version = await run(bin("tsc"), ["--version"], { cwd: project });
  assert.match(version.stdout, /^Version 3\.8\./);
  const build = await run(bin("tsc"), ["-p", "."], { cwd: project });
  assert.equal(build.code, 0, `tsc 3.8 failed:\n${build.stdout}${build.stderr}`);
  assert.ok(existsSync(join(project, "lib/index.js")));
  const sluiceEntries = await run(bin("tsc"), ["-p", "tsconfig.sluice.json"], { cwd: project });
  assert.equal(sluiceEntries.code, 0, `sluice/codeclimate under tsc 3.8 failed:\n${sluiceEntries.stdout}`);
});

test("its Jest 25 suite (CommonJS through ts-jest) passes with upstream's test helpers", async () => {
  const jest = await run(bin("jest"), ["--ci", "--colors=false"], { cwd: project, timeoutMs: 300_000 });
  assert.equal(jest.code, 0, `jest failed:\n${jest.stderr}`);
  assert.match(jest.stderr, /Tests: {7}6 passed, 6 total/);
});

test("what it builds runs under sluice codeclimate: records stored, state saved, warnings tagged once", async (t) => {
  const build = await run(bin("tsc"), ["-p", "."], { cwd: project });
  assert.equal(build.code, 0, build.stdout);
  const cwd = tempDir(t);
  const data = writeJson(cwd, "data.json", {
    projects: [
      { id: "web", name: "Web" },
      { id: "api", name: "API" },
    ],
    tickets: [
      { id: "T2", project: "web", status: "triggered", createdAt: "2020-02-01T00:00:00Z" },
      { id: "T1", project: "web", title: "first", status: "triggered", createdAt: "2020-01-01T00:00:00Z" },
    ],
  });
  const config = writeJson(cwd, "config.json", { dataFile: data });
  const db = join(cwd, "tickets.db");
  const sync = await sluice(
    ["codeclimate", "sync", project, config, "--db", db, "--earliest-data-cutoff", "2019-01-01", "--no-progress"],
    { cwd },
  );
  assert.equal(sync.code, 0, sync.stderr);
  assert.match(sync.stderr, /^WARN {2}\[tickets\] ticket T2 has no title; skipped$/m);
  assert.doesNotMatch(sync.stderr, /\[tickets\] \[tickets\]/);
  assert.deepEqual(query(db, "SELECT id, title FROM tickets_issue"), [{ id: "T1", title: "first" }]);
  const state = JSON.parse(query<{ state: string }>(db, "SELECT state FROM _sluice_state")[0].state);
  assert.equal(state.streams.web.checkpointTime, "2020-01-01T00:00:00.000Z");
  assert.equal(state.streams.api.checkpointTime, null, "a checkpoint without a time (upstream's set takes anything)");
});

/**
 * `sluice sync <name>` (and spec, check, discover) for an installed connector
 * of every kind Sluice runs: the protocol recorded at install — declared in
 * the manifest, or detected by starting the built connector — picks the
 * driver. Real parts: airbyte-source-faker from PyPI, Conduit's generator,
 * the Go and TypeScript examples, a Singer tap and a Code Climate package
 * from the fixtures.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtures, startIncidentsApi } from "./codeclimate-helpers.js";
import { examples, query, type RunResult, root, sluice, tempDir } from "./helpers.js";
import { installOk, useTempHome, writeManifest } from "./registry-helpers.js";

interface Summary {
  connector: string;
  protocol: string;
  records: number;
  streams: Record<string, { table: string; inserted: number }>;
}

type TestContext = { after(fn: () => void): void };

/** Installs `command` from an empty local folder under `name`; returns the protocol the install recorded. */
async function installCommand(t: TestContext, name: string, command: string, extra: object = {}): Promise<string> {
  const dir = tempDir(t);
  mkdirSync(join(dir, "src"));
  const installed = await installOk(
    writeManifest(dir, { name, source: "Local", uri: join(dir, "src"), command, ...extra }),
  );
  return (installed as { protocol?: string }).protocol ?? "(none)";
}

async function syncByName(t: TestContext, name: string, args: string[]): Promise<Summary & { db: string }> {
  const db = join(tempDir(t), "s.db");
  const result = await sluice(["--json", "sync", name, "--db", db, "--no-progress", ...args], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, `sluice sync ${name} failed:\n${result.stderr}`);
  return { ...(JSON.parse(result.stdout) as Summary), db };
}

const rows = (db: string, table: string) => query<{ n: number }>(db, `SELECT count(*) AS n FROM ${table}`)[0].n;

test("an Airbyte source: detected at install (it answers `spec`), then synced, specced and checked by name", async (t) => {
  useTempHome(t);
  assert.equal(await installCommand(t, "faker", join(root, ".venv-airbyte/bin/source-faker")), "airbyte");
  const config = { count: 20, seed: 7, records_per_slice: 10, parallelism: 1, always_updated: false };
  const summary = await syncByName(t, "faker", ["--options", JSON.stringify(config)]);
  assert.deepEqual([summary.connector, summary.protocol, summary.streams.users.inserted], ["faker", "airbyte", 20]);
  assert.equal(rows(summary.db, "faker_users"), 20);
  const spec = await sluice(["--json", "spec", "faker"]);
  assert.equal(spec.code, 0, spec.stderr);
  const described = JSON.parse(spec.stdout) as { protocol: string; optionsSchema: { properties: object } };
  assert.equal(described.protocol, "airbyte");
  assert.ok("count" in described.optionsSchema.properties);
  const bad = await sluice(["check", "faker", "--options", JSON.stringify({ ...config, count: "many" })]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /options for connector "faker" are invalid:\n {2}- option "count" must be integer/);
});

test("a Singer tap: its protocol declared in the manifest; without it, a clear error says to declare it", async (t) => {
  useTempHome(t);
  const tap = `node ${join(root, "test/fixtures/singer/tap-scripted.mjs")}`;
  assert.equal(await installCommand(t, "tap", tap, { protocol: "singer" }), "singer");
  const summary = await syncByName(t, "tap", ["--options", JSON.stringify({ users: 5 })]);
  assert.deepEqual([summary.protocol, summary.streams.users.inserted], ["singer", 5]);

  // This tap cannot --discover without its config, so nothing answers when it is started bare.
  assert.equal(await installCommand(t, "tap-undeclared", tap), "(none)");
  const failed: RunResult = await sluice(["sync", "tap-undeclared", "--db", join(tempDir(t), "u.db")]);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /cannot tell which protocol connector "tap-undeclared" speaks: /);
  assert.match(failed.stderr, /declare it in the manifest \("protocol": one of sluice, c1, conduit, airbyte, singer/);
});

test("a Code Climate package: known by its package.json at install, synced by name into one table per record type", async (t) => {
  useTempHome(t);
  const dir = tempDir(t);
  const manifest = writeManifest(dir, {
    name: "incidents-prod",
    source: "Local",
    uri: join(fixtures, "codeclimate-connector-incidents"),
    command: "codeclimate-connector",
  });
  assert.equal(((await installOk(manifest)) as { protocol?: string }).protocol, "codeclimate");
  const api = await startIncidentsApi(t, "secret", 7);
  const summary = await syncByName(t, "incidents-prod", [
    "--options",
    JSON.stringify({ apiToken: "secret", baseUrl: api.baseUrl }),
  ]);
  assert.equal(summary.protocol, "codeclimate");
  assert.equal(summary.streams.incident.inserted, 7);
  assert.equal(summary.streams.incident.table, "incidents_prod_incident");
});

test("a Conduit source (detected: it rejects go-plugin's other cookies) synced into the store, stopping after --max-records", async (t) => {
  useTempHome(t);
  const generator = join(root, "test/interop/conduit/bin/conduit-connector-generator");
  assert.equal(await installCommand(t, "gen", generator), "conduit");
  const config = {
    recordCount: "25",
    "format.type": "structured",
    "format.options.id": "int",
    "format.options.name": "string",
    operations: "create",
  };
  const summary = await syncByName(t, "gen", ["--options", JSON.stringify(config), "--max-records", "25"]);
  assert.equal(summary.protocol, "conduit");
  assert.equal(summary.records, 25);
  assert.equal(summary.streams.records.table, "gen_records");
  const bad = await sluice(["sync", "gen", "--options", JSON.stringify({ ...config, "format.type": "json" })]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /the source config of "gen" is not valid:\n {2}"format\.type" must be one of/);
});

test("c1-core and native connectors: detected by their go-plugin handshake and the native Spec call", async (t) => {
  useTempHome(t);
  assert.equal(await installCommand(t, "deps", examples.tsC1Packages), "c1");
  const c1 = await syncByName(t, "deps", ["--options", JSON.stringify({ root, page_size: 50 })]);
  assert.equal(c1.protocol, "c1");
  assert.ok(rows(c1.db, "deps_objects") > 0);

  assert.equal(await installCommand(t, "users", examples.goGenerator), "sluice");
  const native = await syncByName(t, "users", ["--options", JSON.stringify({ count: 40 })]);
  assert.deepEqual([native.protocol, native.streams.users.inserted], ["sluice", 40]);
});

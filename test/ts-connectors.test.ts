/** TypeScript connectors (native and c1-core) run by the Sluice host: real processes, real gRPC, real SQLite. */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { examples, query, root, sluice, sluiceJson, type SyncSummary as Summary, tempDir } from "./helpers.js";

const packagesOptions = (pageSize: number) => JSON.stringify({ root, page_size: pageSize });

test("native TS connector: auto-detected, pages upserted by primary key, a second run changes nothing", async (t) => {
  const db = join(tempDir(t), "s.db");
  const first = await sluiceJson<Summary>(["sync", "-c", examples.tsPackages, "-o", packagesOptions(25), "--db", db]);
  assert.equal(first.protocol, "sluice");
  assert.ok(first.pages >= 3, `expected ≥ 3 pages, got ${first.pages}`);
  assert.equal(first.inserted, first.records);
  const table = first.streams.packages.table;
  const rows = query<{ path: string; name: string; dependencies: number }>(
    db,
    `SELECT path, name, dependencies FROM ${table}`,
  );
  assert.equal(rows.length, first.records);
  assert.ok(rows.some((r) => r.path === "node_modules/better-sqlite3" && r.name === "better-sqlite3"));

  const second = await sluiceJson<Summary>(["sync", "-c", examples.tsPackages, "-o", packagesOptions(40), "--db", db]);
  assert.deepEqual([second.inserted, second.updated, second.unchanged], [0, 0, first.records]);
  assert.equal(query<{ n: number }>(db, `SELECT count(*) AS n FROM ${table}`)[0].n, first.records);
});

test("c1-core TS connector: Sync with a broker callback, upserted by RemoteID", async (t) => {
  const db = join(tempDir(t), "s.db");
  const first = await sluiceJson<Summary>([
    "sync",
    "-c",
    examples.tsC1Packages,
    "-o",
    packagesOptions(30),
    "--db",
    db,
    "--name",
    "deps",
  ]);
  assert.equal(first.protocol, "c1");
  assert.ok(first.pages >= 3);
  const rows = query<{ remote_id: string; resource_name: string; metadata: string }>(
    db,
    "SELECT remote_id, resource_name, metadata FROM deps_objects",
  );
  assert.equal(rows.length, first.records);
  const sqlite = rows.find((r) => r.remote_id === "node_modules/better-sqlite3");
  assert.ok(sqlite?.resource_name.startsWith("better-sqlite3@"));
  assert.equal(typeof JSON.parse(sqlite.metadata).version, "string");
  const second = await sluiceJson<Summary>([
    "sync",
    "-c",
    examples.tsC1Packages,
    "-o",
    packagesOptions(30),
    "--db",
    db,
    "--name",
    "deps",
  ]);
  assert.equal(second.inserted, 0);
  assert.equal(second.unchanged, first.records);
});

test("spec, check and discover ask the connector without syncing", async (t) => {
  const spec = await sluiceJson<{ name: string; protocol: string; optionsSchema: object }>([
    "spec",
    "-c",
    examples.tsPackages,
  ]);
  assert.equal(spec.name, "packages");
  assert.ok(spec.optionsSchema);
  const good = await sluiceJson<{ ok: boolean }>(["check", "-c", examples.tsPackages, "-o", JSON.stringify({ root })]);
  assert.equal(good.ok, true);
  const bad = await sluice(["check", "-c", examples.tsPackages, "-o", JSON.stringify({ root: tempDir(t) })]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /option "root": .* has no node_modules folder/);
  const streams = await sluiceJson<{ name: string; primaryKey: string[] }[]>([
    "discover",
    "-c",
    examples.tsPackages,
    "-o",
    "{}",
  ]);
  assert.deepEqual(
    streams.map((s) => [s.name, s.primaryKey]),
    [["packages", ["path"]]],
  );
});

test("unknown stream names are refused with the streams on offer", async (t) => {
  const result = await sluice([
    "sync",
    "-c",
    examples.tsPackages,
    "-o",
    "{}",
    "--streams",
    "nope",
    "--db",
    join(tempDir(t), "s.db"),
  ]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /has no stream "nope"; it offers: packages/);
});

test("--help on every command, and usage errors are clear", async () => {
  for (const command of [[], ["sync"], ["spec"], ["check"], ["discover"], ["syncs"]]) {
    const help = await sluice([...command, "--help"]);
    assert.equal(help.code, 0, command.join(" "));
    assert.match(help.stdout, /Usage: sluice/);
  }
  const missing = await sluice(["sync"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /say which connector to run: --command/);
  const protocol = await sluice(["sync", "-c", "x", "--protocol", "grpc"]);
  assert.equal(protocol.code, 1, protocol.stderr);
  assert.match(protocol.stderr, /--protocol must be one of auto, sluice, c1/);
});

test("--json logs are JSON lines and the sync log lists runs", async (t) => {
  const db = join(tempDir(t), "s.db");
  const failed = await sluice(["--json", "sync", "-c", "/no/such/thing", "--db", db]);
  assert.equal(failed.code, 1, failed.stderr);
  const line = JSON.parse(failed.stderr.trim().split("\n").pop()!);
  assert.equal(line.code, "PLUGIN_EXECUTABLE_NOT_FOUND");
  await sluiceJson(["sync", "-c", examples.tsPackages, "-o", "{}", "--db", db]);
  const syncs = await sluiceJson<{ status: string; connector: string }[]>(["syncs", "--db", db]);
  assert.deepEqual(
    syncs.map((s) => [s.connector, s.status]),
    [["packages", "succeeded"]],
  );
});

test("--cwd: the connector runs in that folder, named after it; its stderr is logged tagged with its name, at --log-level debug", async (t) => {
  const folder = join(tempDir(t), "warmup");
  mkdirSync(folder);
  // Plain (not hclog) stderr before the handshake: go-plugin hosts log such lines at debug.
  writeFileSync(join(folder, "main.sh"), `#!/bin/sh\necho "warming up" >&2\nexec ${examples.goGenerator}\n`, {
    mode: 0o755,
  });
  const db = join(folder, "s.db");
  const args = ["sync", "-c", "./main.sh", "--cwd", folder, "-o", '{"count": 3}', "--db", db];
  const summary = await sluiceJson<Summary>(args);
  assert.deepEqual([summary.connector, summary.records], ["warmup", 3], "./main.sh found in --cwd, named after it");
  const debug = await sluice(["--log-level", "debug", ...args]);
  assert.equal(debug.code, 0, debug.stderr);
  assert.match(debug.stderr, /^DEBUG \[warmup\] warming up$/m);
  const info = await sluice(args);
  assert.equal(info.code, 0, info.stderr);
  assert.doesNotMatch(info.stderr, /warming up/);
});

test("AutoMTLS: the main connection and the c1-core broker callback run over mutual TLS", async (t) => {
  const db = join(tempDir(t), "s.db");
  const native = await sluiceJson<Summary>([
    "sync",
    "--auto-mtls",
    "-c",
    examples.tsPackages,
    "-o",
    packagesOptions(50),
    "--db",
    db,
  ]);
  assert.ok(native.records > 0);
  assert.equal(native.transport, "grpc+mtls");
  const c1 = await sluiceJson<Summary>([
    "sync",
    "--auto-mtls",
    "-c",
    examples.tsC1Packages,
    "-o",
    packagesOptions(50),
    "--db",
    db,
  ]);
  assert.equal(c1.records, native.records);
  // The broker's callback server shares the main connection's TLS context: mutual TLS too.
  assert.equal(c1.transport, "grpc+mtls");
});

test("columnar pages land exactly like JSON pages (nulls included)", async (t) => {
  const scripted = `node ${join(root, "test/fixtures/scripted-connector.mjs")}`;
  const dir = tempDir(t);
  const tables: unknown[][] = [];
  for (const columnar of [false, true]) {
    const db = join(dir, `${columnar}.db`);
    await sluiceJson(["sync", "-c", scripted, "-o", JSON.stringify({ pages: 3, page_size: 7, columnar }), "--db", db]);
    tables.push(query(db, "SELECT id, label, score FROM scripted_connector_items ORDER BY id"));
  }
  assert.equal(tables[0].length, 21);
  assert.deepEqual(tables[1], tables[0]);
  assert.deepEqual(tables[0][3], { id: 3, label: "item 3", score: null });
  assert.deepEqual(tables[0][2], { id: 2, label: "item 2", score: 0.5 });
});

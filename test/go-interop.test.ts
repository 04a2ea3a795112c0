/**
 * Interop with the real hashicorp/go-plugin (from the Go module proxy), both
 * ways: Go connectors under the Sluice host, and TypeScript connectors under
 * an upstream Go host (test/interop/go-host, built like c1-core's host).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { examples, query, root, run, sluice, sluiceJson, type SyncSummary as Summary, tempDir } from "./helpers.js";

function makeFolder(dir: string, files: number): void {
  for (let i = 0; i < files; i++) {
    mkdirSync(join(dir, `d${i % 3}`), { recursive: true });
    writeFileSync(join(dir, `d${i % 3}`, `file${i}.txt`), `content ${i}\n`);
  }
}

test("Go c1-core connector: ≥ 3 pages through the broker callback, every file lands, a rerun updates in place", async (t) => {
  const work = tempDir(t);
  const folder = join(work, "data");
  makeFolder(folder, 23);
  const db = join(work, "s.db");
  const options = JSON.stringify({ root: folder, page_size: 5 });
  const first = await sluiceJson<Summary>(["sync", "-c", examples.goFiles, "-o", options, "--db", db]);
  assert.equal(first.protocol, "c1");
  assert.equal(first.transport, "grpc", "without --auto-mtls: plain gRPC (on a unix socket)");
  assert.equal(first.pages, 5);
  assert.equal(first.inserted, 23);
  const rows = query<{ remote_id: string; uri: string; metadata: string }>(
    db,
    "SELECT remote_id, uri, metadata FROM files_objects ORDER BY remote_id",
  );
  assert.equal(rows.length, 23);
  assert.equal(rows[0].remote_id, "d0/file0.txt");
  assert.equal(JSON.parse(rows[0].metadata).size, "content 0\n".length);

  writeFileSync(join(folder, "d1", "file1.txt"), "changed, and longer\n");
  const second = await sluiceJson<Summary>(["sync", "-c", examples.goFiles, "-o", options, "--db", db]);
  assert.deepEqual([second.inserted, second.updated, second.unchanged], [0, 1, 22]);
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM files_objects")[0].n, 23);
});

test("Go native connector: incremental runs resume from the checkpoint without duplicates", async (t) => {
  const db = join(tempDir(t), "s.db");
  const first = await sluiceJson<Summary>([
    "sync",
    "-c",
    examples.goGenerator,
    "-o",
    '{"count": 2500, "page_size": 1000}',
    "--db",
    db,
  ]);
  assert.deepEqual([first.protocol, first.pages, first.inserted], ["sluice", 3, 2500]);
  const second = await sluiceJson<Summary>([
    "sync",
    "-c",
    examples.goGenerator,
    "-o",
    '{"count": 3200, "page_size": 1000}',
    "--db",
    db,
  ]);
  assert.deepEqual([second.records, second.inserted], [700, 700]);
  const [{ n, max }] = query<{ n: number; max: number }>(
    db,
    "SELECT count(*) AS n, max(id) AS max FROM generator_users",
  );
  assert.deepEqual([n, max], [3200, 3199]);
  const [user] = query<Record<string, unknown>>(db, "SELECT * FROM generator_users WHERE id = 42");
  assert.equal(user.email, "user42@example.com");
  assert.deepEqual(JSON.parse(user.tags as string), ["admin", "trial"]);
  const full = await sluiceJson<Summary>([
    "sync",
    "-c",
    examples.goGenerator,
    "-o",
    '{"count": 3200, "page_size": 1000}',
    "--db",
    db,
    "--full-refresh",
  ]);
  assert.deepEqual([full.inserted, full.unchanged], [0, 3200]);
});

test("Go connectors that crash mid-sync: committed pages and the checkpoint stay, the log has the stderr", async (t) => {
  const db = join(tempDir(t), "s.db");
  const crashed = await sluice([
    "sync",
    "-c",
    examples.goGenerator,
    "-o",
    '{"count": 10000, "page_size": 1000, "fail_after_pages": 4}',
    "--db",
    db,
  ]);
  assert.equal(crashed.code, 1);
  assert.match(crashed.stderr, /crashed: the process exited with code 3/);
  assert.match(crashed.stderr, /failing on purpose after 4 pages/);
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM generator_users")[0].n, 4000);
  assert.deepEqual(JSON.parse(query<{ state: string }>(db, "SELECT state FROM _sluice_state")[0].state), {
    next_id: 4000,
  });
  const resumed = await sluiceJson<Summary>([
    "sync",
    "-c",
    examples.goGenerator,
    "-o",
    '{"count": 10000, "page_size": 1000}',
    "--db",
    db,
  ]);
  assert.equal(resumed.inserted, 6000);

  const folder = join(tempDir(t), "data");
  makeFolder(folder, 30);
  const c1 = await sluice([
    "sync",
    "-c",
    examples.goFiles,
    "-o",
    JSON.stringify({ root: folder, page_size: 5, fail_after_pages: 2 }),
    "--db",
    db,
  ]);
  assert.equal(c1.code, 1);
  assert.match(c1.stderr, /crashed: the process exited with code 3/);
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM files_objects")[0].n, 10);
  const log = query<{ status: string; error: string }>(
    db,
    "SELECT status, error FROM _sluice_syncs WHERE connector = 'files'",
  )[0];
  assert.equal(log.status, "failed");
  assert.match(log.error, /failing on purpose after 2 pages/);
});

test("the upstream Go host drives TypeScript connectors: c1-core Sync with broker callback, and the native protocol", async () => {
  const options = JSON.stringify({ root, page_size: 20 });
  for (const mtls of [[], ["--auto-mtls"]]) {
    const c1 = await run(examples.goHost, [...mtls, "--options", options, "--", examples.tsC1Packages]);
    assert.equal(c1.code, 0, c1.stderr);
    const result = JSON.parse(c1.stdout) as { pages: number; objects: number; end_metadata: string };
    assert.ok(result.pages >= 3, `pages: ${result.pages}`);
    assert.equal(JSON.parse(result.end_metadata).objects, result.objects);

    const native = await run(examples.goHost, [...mtls, "--native", "--options", options, "--", examples.tsPackages]);
    assert.equal(native.code, 0, native.stderr);
    const nativeResult = JSON.parse(native.stdout) as { spec_name: string; streams: string[]; records: number };
    assert.deepEqual([nativeResult.spec_name, nativeResult.streams], ["packages", ["packages"]]);
    assert.equal(nativeResult.records, result.objects);
  }
});

test("AutoMTLS with Go plugins under the Sluice host", async (t) => {
  const db = join(tempDir(t), "s.db");
  const generator = await sluiceJson<Summary>([
    "sync",
    "--auto-mtls",
    "-c",
    examples.goGenerator,
    "-o",
    '{"count": 1500}',
    "--db",
    db,
  ]);
  assert.equal(generator.inserted, 1500);
  assert.equal(generator.transport, "grpc+mtls");
  const files = await sluiceJson<Summary>([
    "sync",
    "--auto-mtls",
    "-c",
    examples.goFiles,
    "-o",
    JSON.stringify({ root: join(root, "src") }),
    "--db",
    db,
  ]);
  assert.ok(files.inserted > 10);
  assert.equal(files.transport, "grpc+mtls");
});

test("a Go plugin run directly refuses, and one given the wrong protocol is reported as a cookie mismatch", async (t) => {
  const direct = await run(examples.goGenerator, []);
  assert.equal(direct.code, 1);
  assert.match(direct.stderr, /This binary is a plugin/);
  const wrong = await sluice([
    "sync",
    "-c",
    examples.goFiles,
    "--protocol",
    "sluice",
    "--db",
    join(tempDir(t), "s.db"),
  ]);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /rejected the magic cookie \(SLUICE_PLUGIN\)/);
});

/** A Python connector (grpcio, the Python SDK) under the Sluice host. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { examples, gitRepo, query, run, sluice, sluiceJson, tempDir } from "./helpers.js";

test("Python gitlog connector: pages of commits, then an incremental run reads only new commits", async (t) => {
  const work = tempDir(t);
  const repo = join(work, "repo");
  gitRepo(repo, 12);
  const db = join(work, "s.db");
  const options = JSON.stringify({ repo, page_size: 5 });
  const first = await sluiceJson<{ protocol: string; pages: number; inserted: number }>([
    "sync",
    "-c",
    examples.pythonGitlog,
    "-o",
    options,
    "--db",
    db,
  ]);
  assert.deepEqual([first.protocol, first.pages, first.inserted], ["sluice", 3, 12]);
  const [commit] = query<{ subject: string; author_email: string; parents: string }>(
    db,
    "SELECT subject, author_email, parents FROM gitlog_commits WHERE subject = 'change 5'",
  );
  assert.equal(commit.author_email, "ada@example.com");
  assert.equal(JSON.parse(commit.parents).length, 1);

  gitRepo(repo, 2);
  const second = await sluiceJson<{ inserted: number; records: number }>([
    "sync",
    "-c",
    examples.pythonGitlog,
    "-o",
    options,
    "--db",
    db,
  ]);
  assert.deepEqual([second.records, second.inserted], [2, 2]);
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM gitlog_commits")[0].n, 14);
});

test("Python connector: spec, schema validation and its own check", async (t) => {
  const spec = await sluiceJson<{ name: string }>(["spec", "-c", examples.pythonGitlog]);
  assert.equal(spec.name, "gitlog");
  const missing = await sluice(["sync", "-c", examples.pythonGitlog, "-o", "{}", "--db", join(tempDir(t), "s.db")]);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /option "repo" is required/);
  const notRepo = await sluice(["check", "-c", examples.pythonGitlog, "-o", JSON.stringify({ repo: tempDir(t) })]);
  assert.equal(notRepo.code, 1);
  assert.match(notRepo.stdout, /is not a git repository/);
});

test("the Python plugin refuses to run without the magic cookie", async () => {
  const [python, script] = examples.pythonGitlog.split(" ");
  const direct = await run(python, [script]);
  assert.equal(direct.code, 1);
  assert.match(direct.stderr, /This binary is a plugin/);
});

test("the upstream Go host (hashicorp/go-plugin client) runs the Python connector too", async () => {
  const result = await run(examples.goHost, [
    "--native",
    "--options",
    JSON.stringify({ repo: join(import.meta.dirname, ".."), page_size: 5 }),
    "--",
    examples.pythonGitlog,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as {
    spec_name: string;
    streams: string[];
    records: number;
    checkpoints: number;
  };
  assert.deepEqual([summary.spec_name, summary.streams, summary.checkpoints], ["gitlog", ["commits"], 1]);
  assert.ok(summary.records > 0);
});

test("a minimal plugin on TCP (go-plugin's Python example style: health + service, no broker/controller/stdio)", async (t) => {
  const db = join(tempDir(t), "s.db");
  const python = examples.pythonGitlog.split(" ")[0];
  const command = `${python} ${join(import.meta.dirname, "fixtures/python/tcp_plugin.py")}`;
  const summary = await sluiceJson<{ protocol: string; inserted: number }>([
    "sync",
    "-c",
    command,
    "-o",
    JSON.stringify({ repo: join(import.meta.dirname, "..") }),
    "--db",
    db,
    "--name",
    "tcp",
  ]);
  assert.equal(summary.protocol, "sluice");
  assert.ok(summary.inserted > 0);
});

test("AutoMTLS with the Python SDK: the Sluice host over mutual TLS, the upstream Go host (P-521 certificates grpcio cannot verify) over TLS", async (t) => {
  const dir = tempDir(t);
  gitRepo(dir, 4);
  const db = join(dir, "s.db");
  const result = await sluice([
    "--json",
    "sync",
    "--auto-mtls",
    "-c",
    examples.pythonGitlog,
    "-o",
    JSON.stringify({ repo: dir }),
    "--db",
    db,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as { records: number; transport: string };
  assert.equal(summary.records, 4);
  assert.equal(summary.transport, "grpc+mtls", "the plugin answered with its certificate: TLS");
  const goHost = await run(examples.goHost, [
    "--auto-mtls",
    "--native",
    "--options",
    JSON.stringify({ repo: dir }),
    "--",
    examples.pythonGitlog,
  ]);
  assert.equal(goHost.code, 0, goHost.stderr);
  assert.equal((JSON.parse(goHost.stdout) as { records: number }).records, 4);
});

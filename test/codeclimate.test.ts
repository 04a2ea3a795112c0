/**
 * Code Climate connectors end to end through the CLIs: published-style
 * packages (CommonJS and ESM, importing `codeclimate-connector-sdk`, which
 * only Sluice provides) found by slug, by path and by installed name; records
 * upserted into SQLite per record type; state and earliestDataCutoff carried
 * between runs; and the upstream-compatible `codeclimate-connector` output.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import {
  fixtures,
  codeclimateConnector,
  projectWithConnectors,
  startIncidentsApi,
  writeJson,
} from "./codeclimate-helpers.js";
import { query, root, run, sluice, tempDir } from "./helpers.js";
import { installOk, useTempHome, writeManifest } from "./registry-helpers.js";

interface Summary {
  connector: string;
  protocol: string;
  inserted: number;
  updated: number;
  unchanged: number;
  streams: Record<string, { table: string; inserted: number; updated: number; unchanged: number }>;
  peakRssBytes: number;
  message: string;
}

async function ccSync(cwd: string, args: string[]): Promise<Summary> {
  const result = await sluice(["--json", "codeclimate", ...args], { cwd });
  assert.equal(result.code, 0, `sluice codeclimate ${args.join(" ")} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Summary;
}

test("a CommonJS connector found by slug: incidents paged from an HTTP API into SQLite, then a second run from the last successful sync", async (t) => {
  const cwd = projectWithConnectors(t);
  const api = await startIncidentsApi(t, "secret", 120);
  const config = writeJson(cwd, "config.json", { apiToken: "secret", baseUrl: api.baseUrl });
  const db = join(cwd, "cc.db");

  const before = new Date();
  const first = await ccSync(cwd, ["sync", "incidents", config, "--db", db]);
  assert.equal(first.protocol, "codeclimate");
  assert.equal(first.streams.incident.inserted, 120);
  assert.equal(first.streams.stream.inserted, 1);
  assert.equal(first.streams.incident.table, "incidents_incident");
  assert.match(first.message, /1 stream\(s\) synced; peak RSS [\d.]+ MiB \(limit 1\.00 GiB\)/);
  assert.ok(first.peakRssBytes > 10 * 1024 ** 2 && first.peakRssBytes < 1024 ** 3);
  const rows = query<{ id: string; status: string; number: number; created_at?: string; createdAt: string }>(
    db,
    "SELECT * FROM incidents_incident ORDER BY number",
  );
  assert.equal(rows.length, 120);
  assert.deepEqual(
    [rows[4].id, rows[4].status, rows[4].number, rows[4].createdAt],
    ["P4", "acknowledged", 4, "2026-01-01T00:04:00.000Z"],
  );
  const firstSince = new Date(api.sinces[0]);
  assert.ok(Date.now() - firstSince.valueOf() > 89 * 86_400_000, "a first sync reaches back --lookback-days (90)");

  const state = JSON.parse(
    query<{ state: string }>(db, "SELECT state FROM _sluice_state WHERE connector = 'incidents'")[0].state,
  );
  assert.deepEqual(state.streams.account.metadata, {}, "the connector's final checkpoint is saved");
  assert.ok(new Date(state.lastSuccessfulSync.account) >= new Date(before.valueOf() - 1000));

  api.sinces.length = 0;
  api.setCount(130);
  const second = await ccSync(cwd, ["sync", "incidents", config, "--db", db]);
  assert.equal(
    api.sinces[0],
    new Date(state.lastSuccessfulSync.account).toISOString(),
    "earliestDataCutoff = the start of the last successful sync",
  );
  assert.deepEqual([second.streams.incident.inserted, second.streams.incident.unchanged], [10, 120]);
  assert.equal(query(db, "SELECT id FROM incidents_incident").length, 130, "upserted by id: no duplicates");
});

test("an ES module connector by path: one table per record type, PullRequestComment accepted, unsubscribed streams skipped, extractedAt kept", async (t) => {
  const cwd = tempDir(t);
  const data = writeJson(cwd, "data.json", {
    repositories: [
      {
        id: "r1",
        self: "https://git.test/r1",
        name: "one",
        subscribed: true,
        owner: { id: "o1", type: "organization", name: "org" },
        pullRequests: [
          {
            id: "pr1",
            self: "https://git.test/r1/pr/1",
            author: "https://git.test/u/ann",
            state: "merged",
            createdAt: "2026-03-01T10:00:00Z",
            comments: [{ id: "c1", self: "https://git.test/c/1", author: "https://git.test/u/bob", body: "LGTM" }],
          },
          {
            id: "pr0",
            self: "https://git.test/r1/pr/0",
            author: "https://git.test/u/ann",
            state: "closed",
            createdAt: "2019-01-01T10:00:00Z",
            comments: [],
          },
        ],
      },
      {
        id: "r2",
        self: "https://git.test/r2",
        name: "two",
        subscribed: false,
        owner: { id: "o1", type: "organization", name: "org" },
        pullRequests: [],
      },
    ],
  });
  const config = writeJson(cwd, "config.json", { dataFile: data });
  const db = join(cwd, "cc.db");
  const summary = await ccSync(cwd, [
    "sync",
    join(fixtures, "codeclimate-connector-repos"),
    config,
    "--db",
    db,
    "--earliest-data-cutoff",
    "2026-01-01",
  ]);
  assert.deepEqual(Object.keys(summary.streams).sort(), [
    "pull_request",
    "pull_request_comment",
    "repository",
    "stream",
  ]);
  assert.equal(summary.streams.stream.inserted, 2);
  assert.equal(summary.streams.repository.inserted, 1, "r2 is not subscribed");
  assert.equal(summary.streams.pull_request.inserted, 1, "pr0 is older than the cutoff");
  const [pr] = query<{ id: string; repository: string; _extracted_at: string; state: string }>(
    db,
    "SELECT * FROM repos_pull_request",
  );
  assert.deepEqual(pr, {
    ...pr,
    id: "pr1",
    repository: "https://git.test/r1",
    state: "merged",
    _extracted_at: "2026-01-01T00:00:00.000Z",
  });
  const [repo] = query<{ owner: string }>(db, "SELECT owner FROM repos_repository");
  assert.deepEqual(
    JSON.parse(repo.owner),
    { id: "o1", type: "organization", name: "org" },
    "nested objects are stored as JSON",
  );
  assert.equal(query(db, "SELECT * FROM repos_pull_request_comment").length, 1);

  const compat = await sluice(
    [
      "codeclimate",
      "sync",
      join(fixtures, "codeclimate-connector-repos"),
      config,
      "--db",
      db,
      "--upstream-validation",
      "--earliest-data-cutoff",
      "2026-01-01",
    ],
    { cwd },
  );
  assert.equal(compat.code, 1);
  assert.match(
    compat.stderr,
    /connector "repos" produced an invalid PullRequestComment record \(id "c1"\): "PullRequestComment" is not a recognized record type/,
  );
});

test("discover-streams and sync-stream with upstream's positional arguments, into the store", async (t) => {
  const cwd = projectWithConnectors(t);
  const api = await startIncidentsApi(t, "secret", 30);
  const config = writeJson(cwd, "config.json", { apiToken: "secret", baseUrl: api.baseUrl });
  const db = join(cwd, "cc.db");
  const discovered = await ccSync(cwd, ["discover-streams", "incidents", config, "--db", db]);
  assert.equal(discovered.streams.stream.inserted, 1);
  assert.deepEqual(query(db, "SELECT id, name FROM incidents_stream"), [{ id: "account", name: "Incidents account" }]);

  const stream = JSON.stringify({
    _type: "Stream",
    id: "account",
    self: `${api.baseUrl}/account`,
    name: "Incidents account",
  });
  const synced = await ccSync(cwd, ["sync-stream", "incidents", config, stream, "2026-01-01T00:00:00Z", "--db", db]);
  assert.equal(synced.streams.incident.inserted, 30);
  assert.equal(api.sinces[0], "2026-01-01T00:00:00.000Z");

  const bad = await sluice(["codeclimate", "sync-stream", "incidents", config, '{"id": 1}', "--db", db], { cwd });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /<stream> must be a Stream record/);
  const badDate = await sluice(
    ["codeclimate", "sync-stream", "incidents", config, stream, "last tuesday", "--db", db],
    { cwd },
  );
  assert.equal(badDate.code, 1, badDate.stderr);
  assert.match(badDate.stderr, /"last tuesday" cannot be parsed as a timestamp/);
});

test("verify-configuration: sluice prints the result as JSON and exits 1 when invalid; the API's answer counts", async (t) => {
  const cwd = projectWithConnectors(t);
  const api = await startIncidentsApi(t, "secret", 1);
  const good = writeJson(cwd, "good.json", { apiToken: "secret", baseUrl: api.baseUrl });
  const wrongToken = writeJson(cwd, "wrong.json", { apiToken: "nope", baseUrl: api.baseUrl });
  const missing = writeJson(cwd, "missing.json", {});

  const ok = await sluice(["codeclimate", "verify-configuration", "incidents", good], { cwd });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { isValid: true });
  const rejected = await sluice(["codeclimate", "verify-configuration", "incidents", wrongToken], { cwd });
  assert.equal(rejected.code, 1);
  assert.deepEqual(JSON.parse(rejected.stdout), {
    isValid: false,
    errorMessages: ["apiToken was rejected by the API"],
  });
  const empty = await sluice(["codeclimate", "verify-configuration", "incidents", missing], { cwd });
  assert.deepEqual(JSON.parse(empty.stdout).errorMessages, ["apiToken is required", "baseUrl is required"]);

  // As upstream's CLI, a sync does not verify first: the connector's own call fails.
  const sync = await sluice(["codeclimate", "sync", "incidents", wrongToken, "--db", join(cwd, "x.db")], { cwd });
  assert.equal(sync.code, 1);
  assert.match(sync.stderr, /connector "incidents" failed: GET \/incidents answered 401/);
  const verified = await sluice(
    ["codeclimate", "sync", "incidents", wrongToken, "--db", join(cwd, "x.db"), "--verify"],
    { cwd },
  );
  assert.equal(verified.code, 1);
  assert.match(verified.stderr, /apiToken was rejected by the API/, "--verify runs verifyConfiguration first");
});

test("discovery needs no verification: a connector whose verifyConfiguration needs the network discovers offline", async (t) => {
  const cwd = projectWithConnectors(t);
  // No API is listening at this address: verification would fail, discovery does not call it.
  const config = writeJson(cwd, "config.json", { apiToken: "secret", baseUrl: "http://127.0.0.1:9" });
  const db = join(cwd, "cc.db");
  const discovered = await ccSync(cwd, ["discover-streams", "incidents", config, "--db", db]);
  assert.equal(discovered.streams.stream.inserted, 1);
  assert.match(discovered.message, /^1 stream\(s\) discovered; peak RSS/, "says what it did: discovered, not synced");
});

test("codeclimate-connector: upstream's verbs and output, the package in the current folder, and clear errors", async (t) => {
  const cwd = projectWithConnectors(t);
  const api = await startIncidentsApi(t, "secret", 3);
  const config = writeJson(cwd, "config.json", { apiToken: "secret", baseUrl: api.baseUrl });

  const verify = await codeclimateConnector(["verify-configuration", "incidents", config], cwd);
  assert.equal(verify.code, 0, verify.stderr);
  assert.equal(verify.stdout, 'Verifying configuration...\nResult: {\n  "isValid": true\n}\n');

  const discover = await codeclimateConnector(["discover-streams", "incidents", config], cwd);
  assert.match(discover.stdout, /^Produced record: \{\n {2}"_type": "Stream",\n {2}"id": "account",/);
  assert.match(discover.stdout, /Done discovering streams\.\n$/);

  const stream = '{"_type": "Stream", "id": "account", "self": "https://incidents.test", "name": "Account"}';
  const sync = await codeclimateConnector(["sync-stream", "incidents", config, stream, "2020-01-01", "-v"], cwd);
  assert.equal(sync.code, 0, sync.stderr);
  assert.equal(sync.stdout.match(/Produced record: \{\n {2}"_type": "Incident"/g)?.length, 3);
  assert.match(
    sync.stdout,
    /\[incidents\] syncing account since 2020-01-01T00:00:00.000Z from offset 0/,
    "the client's logger is tagged with the slug",
  );
  assert.match(sync.stdout, /Set state: \{\n {2}"checkpointTime": /);

  // Inside the connector's own folder, its package.json names it (upstream's second lookup).
  const own = await codeclimateConnector(
    ["verify-configuration", "incidents", config],
    join(fixtures, "codeclimate-connector-incidents"),
  );
  assert.equal(own.code, 0, own.stderr);

  const unknown = await codeclimateConnector(["discover-streams", "nosuch", config], cwd);
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.stderr,
    /no Code Climate connector named "nosuch" \(package codeclimate-connector-nosuch\); looked in:\n.*node_modules\/codeclimate-connector-nosuch/,
  );
  const noConfig = await codeclimateConnector(["discover-streams", "incidents", join(cwd, "absent.json")], cwd);
  assert.match(noConfig.stderr, /cannot read the configuration file .*absent\.json/);
  for (const args of [
    ["-v", "sync-stream", "incidents", config, stream, "2020-01-01"],
    ["help"],
    [],
    ["nosuch-verb"],
  ]) {
    const general = await codeclimateConnector(args, cwd);
    assert.equal(general.code, 0, `codeclimate-connector ${args.join(" ")} prints the help and succeeds, as upstream`);
    assert.match(general.stdout, /^Code Climate Connector CLI/);
    assert.match(general.stdout, /Usage: codeclimate-connector COMMAND \.\.\./);
  }
  const help = await codeclimateConnector(["sync-stream", "--help"], cwd);
  assert.match(
    help.stdout,
    /Usage: codeclimate-connector sync-stream \[options\] <connector> <config-path> <stream> <earliest-data-cutoff>/,
  );
});

test("a connector installed from a manifest runs by its installed name", async (t) => {
  useTempHome(t);
  const cwd = tempDir(t);
  const manifest = writeManifest(cwd, {
    name: "incidents-prod",
    source: "Local",
    uri: join(fixtures, "codeclimate-connector-incidents"),
    command: "codeclimate-connector",
  });
  await installOk(manifest);
  const api = await startIncidentsApi(t, "secret", 5);
  const config = writeJson(cwd, "config.json", { apiToken: "secret", baseUrl: api.baseUrl });
  const summary = await ccSync(cwd, ["sync", "incidents-prod", config, "--db", join(cwd, "cc.db")]);
  assert.equal(summary.connector, "incidents-prod");
  assert.equal(summary.streams.incident.inserted, 5);
  assert.equal(summary.streams.incident.table, "incidents_prod_incident");
});

test("a new connector written against sluice/codeclimate (examples/ts/codeclimate-git): commits of a real git repository, then only newer ones", async (t) => {
  const cwd = tempDir(t);
  const repo = join(cwd, "repo");
  // Commits dated in the past, so "since the last sync" does not depend on the clock's second.
  const dated = { ...process.env, GIT_AUTHOR_DATE: "2025-06-01T12:00:00Z", GIT_COMMITTER_DATE: "2025-06-01T12:00:00Z" };
  const git = (...args: string[]) => run("git", ["-C", repo, ...args], { cwd, env: dated });
  await run("git", ["init", "-q", repo], { cwd });
  for (const n of [1, 2, 3]) {
    writeJson(repo, `f${n}.txt`, n);
    await git("add", ".");
    await git("-c", "user.name=Ann", "-c", "user.email=ann@example.com", "commit", "-q", "-m", `change ${n}`);
  }
  const config = writeJson(cwd, "config.json", { repositories: [repo] });
  const db = join(cwd, "git.db");
  const example = join(root, "examples/ts/dist/codeclimate-git/main.js");
  const first = await ccSync(cwd, ["sync", example, config, "--db", db, "--lookback-days", "3650"]);
  assert.equal(first.connector, "codeclimate-git");
  assert.equal(first.streams.commit.inserted, 3);
  const commits = query<{ message: string; author: string }>(
    db,
    "SELECT message, author FROM codeclimate_git_commit ORDER BY message",
  );
  assert.deepEqual(
    commits.map((c) => c.message),
    ["change 1", "change 2", "change 3"],
  );
  assert.equal(JSON.parse(commits[0].author).email, "ann@example.com");
  const second = await ccSync(cwd, ["sync", example, config, "--db", db]);
  assert.equal(second.streams.commit, undefined, "nothing since the last successful sync");

  const bad = await sluice(
    ["codeclimate", "verify-configuration", example, writeJson(cwd, "bad.json", { repositories: [cwd] })],
    { cwd },
  );
  assert.equal(bad.code, 1);
  assert.match(JSON.parse(bad.stdout).errorMessages[0], /is not a git repository/);
});

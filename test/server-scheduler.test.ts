/**
 * The scheduler and clean stops, with a real server process: an interval
 * schedule fires on time and never overlaps itself; a schedule missed while
 * the server was down runs once at start; --max-concurrent-syncs queues;
 * SIGTERM cancels a running sync gracefully and keeps what it committed.
 * And `sluice connections` from the terminal on the same database.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { query, sluice, sluiceJson, tempDir } from "./helpers.js";
import { call, installVault, serverEnv, startServer, waitFor } from "./server-helpers.js";

interface Run {
  id: number;
  connectionId: number;
  trigger: string;
  status: string;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  records: number;
}

const vaultOptions = (extra: Record<string, unknown>) => ({
  format: "json",
  value: { api_key: "key-scheduler", ...extra },
});

test("an interval schedule fires on time and never overlaps itself", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installVault(home, join(dir, "src"));
  const server = await startServer(t, { db: join(dir, "app.db"), home });
  const token = server.token!;
  // Each run takes about 1.5 s (6 pages, 250 ms apart); the schedule asks every second.
  const slow = await call<{ id: number }>(server.url, "POST", "/api/connections", {
    token,
    body: {
      name: "slow",
      connector: "vault",
      options: vaultOptions({ count: 30, page_size: 5, sleep_ms: 250 }),
      schedule: { everySeconds: 1 },
    },
  });
  assert.equal(slow.status, 201, JSON.stringify(slow.body));
  // A fast one every 2 s: its starts show the rhythm.
  const fast = await call<{ id: number }>(server.url, "POST", "/api/connections", {
    token,
    body: { name: "fast", connector: "vault", options: vaultOptions({ count: 5 }), schedule: { everySeconds: 2 } },
  });
  const runsOf = async (id: number) =>
    (await call<Run[]>(server.url, "GET", `/api/connections/${id}/runs?limit=100`, { token })).body.reverse();
  const slowRuns = await waitFor(
    async () => {
      const runs = (await runsOf(slow.body.id)).filter((r) => r.finishedAt);
      return runs.length >= 3 ? runs : undefined;
    },
    90_000,
    "three finished runs of the slow schedule",
  );
  for (const run of slowRuns) assert.equal(run.trigger, "schedule");
  for (let i = 1; i < slowRuns.length; i++)
    assert.ok(
      Date.parse(slowRuns[i].startedAt!) >= Date.parse(slowRuns[i - 1].finishedAt!),
      `run ${slowRuns[i].id} started before run ${slowRuns[i - 1].id} ended`,
    );
  const fastRuns = await waitFor(
    async () => {
      const runs = await runsOf(fast.body.id);
      return runs.length >= 3 ? runs : undefined;
    },
    90_000,
    "three runs of the fast schedule",
  );
  // An interval keeps its rhythm from the planned times, so a run queued late (a busy machine)
  // is followed by a shorter gap: what must hold is the rhythm, not each gap. A schedule firing
  // early or twice would show in the span, or as a gap far below the interval.
  const queued = fastRuns.map((run) => Date.parse(run.queuedAt));
  for (let i = 1; i < queued.length; i++)
    assert.ok(queued[i] - queued[i - 1] >= 1000, `the 2 s schedule fired twice: ${queued[i] - queued[i - 1]} ms apart`);
  const span = queued[queued.length - 1] - queued[0];
  assert.ok(
    span >= 2000 * (queued.length - 1) - 500,
    `the 2 s schedule fired early: ${queued.length} runs in ${span} ms`,
  );
  assert.equal(await server.stop(), 0);
});

test("a schedule missed while the server was down runs once at start; --max-concurrent-syncs queues the rest", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  const db = join(dir, "app.db");
  await installVault(home, join(dir, "src"));
  const env = serverEnv({ db, home });
  for (const name of ["hourly", "daily"]) {
    const created = await sluice(
      [
        "--json",
        "connections",
        "create",
        "--name",
        name,
        "--connector",
        "vault",
        "--db",
        db,
        "--schedule",
        name === "hourly" ? "every 1h" : "0 3 * * *",
        "--options",
        JSON.stringify({ api_key: `key-${name}`, count: 10, page_size: 5, sleep_ms: 300 }),
      ],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
  }
  // Both were due an hour ago: the server was down then.
  const past = new Date(Date.now() - 3600_000).toISOString();
  const { default: Database } = await import("better-sqlite3");
  const handle = new Database(db);
  handle.prepare("UPDATE _sluice_connections SET next_run_at = ?").run(past);
  handle.close();

  const server = await startServer(t, { db, home, args: ["--max-concurrent-syncs", "1"] });
  const login = await sluiceJson<{ token: string }>(["server", "token", "create", "--name", "t", "--db", db]);
  const token = login.token;
  const runs = await waitFor(
    async () => {
      const all = (await call<Run[]>(server.url, "GET", "/api/runs?limit=100", { token })).body;
      return all.length >= 2 && all.every((r) => r.finishedAt) ? all.reverse() : undefined;
    },
    90_000,
    "both missed runs to finish",
  );
  assert.equal(runs.length, 2, "one run each, not one per missed hour");
  assert.deepEqual(
    runs.map((r) => [r.trigger, r.status]),
    [
      ["schedule", "succeeded"],
      ["schedule", "succeeded"],
    ],
  );
  assert.ok(
    Date.parse(runs[1].startedAt!) >= Date.parse(runs[0].finishedAt!),
    "with --max-concurrent-syncs 1 the second waited for the first",
  );
  const connections = (await call<{ nextRunAt: string }[]>(server.url, "GET", "/api/connections", { token })).body;
  for (const c of connections) assert.ok(Date.parse(c.nextRunAt) > Date.now(), "the next run is planned ahead again");

  // A restart does not run them again: nothing is due.
  assert.equal(await server.stop(), 0);
  const again = await startServer(t, { db, home });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = (await call<Run[]>(again.url, "GET", "/api/runs", { token })).body;
  assert.equal(after.length, 2, "no run after a restart with nothing due");
});

test("SIGTERM stops cleanly: the running sync is cancelled gracefully, its committed pages and state stay", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  const db = join(dir, "app.db");
  await installVault(home, join(dir, "src"));
  const server = await startServer(t, { db, home });
  const token = server.token!;
  const created = await call<{ id: number }>(server.url, "POST", "/api/connections", {
    token,
    body: { name: "long", connector: "vault", options: vaultOptions({ count: 1000, page_size: 10, sleep_ms: 100 }) },
  });
  const run = (await call<Run>(server.url, "POST", `/api/connections/${created.body.id}/runs`, { token })).body;
  await waitFor(
    async () => {
      const { body } = await call<Run>(server.url, "GET", `/api/runs/${run.id}`, { token });
      return body.records >= 30 ? body : undefined;
    },
    60_000,
    "30 records",
  );
  assert.equal(await server.stop("SIGTERM"), 0, server.output());
  const [row] = query<{ status: string; error: string; records: number }>(
    db,
    "SELECT status, error, records FROM _sluice_runs",
  );
  assert.equal(row.status, "cancelled");
  assert.match(row.error, /the server is stopping/);
  const [sync] = query<{ status: string; error: string }>(db, "SELECT status, error FROM _sluice_syncs");
  assert.equal(sync.status, "cancelled", "the sync log says cancelled");
  const rows = query<{ n: number }>(db, 'SELECT count(*) AS n FROM "long_items"')[0].n;
  assert.ok(rows >= 30 && rows < 1000, `committed pages stay (${rows} rows)`);
  assert.match(server.output(), /stopping \(SIGTERM\)/);
});

test("sluice connections list | create | run from the terminal, on the same database", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  const db = join(dir, "app.db");
  await installVault(home, join(dir, "src"));
  const env = serverEnv({ db, home });
  const created = await sluice(
    [
      "--json",
      "connections",
      "create",
      "--name",
      "cli",
      "--connector",
      "vault",
      "--db",
      db,
      "--options",
      JSON.stringify({ api_key: "key-from-the-cli", count: 12, page_size: 4 }),
      "--schedule",
      "every 15m",
    ],
    { env },
  );
  assert.equal(created.code, 0, created.stderr);
  const connection = JSON.parse(created.stdout);
  assert.equal(connection.options.value.api_key, "••••••••");
  assert.deepEqual(connection.schedule, { everySeconds: 900 });

  const ran = await sluice(["--json", "connections", "run", "cli", "--db", db], { env });
  assert.equal(ran.code, 0, ran.stderr);
  const run = JSON.parse(ran.stdout);
  assert.deepEqual([run.status, run.records, run.trigger], ["succeeded", 12, "cli"]);
  assert.equal(query<{ n: number }>(db, 'SELECT count(*) AS n FROM "cli_items"')[0].n, 12);

  const list = await sluice(["connections", "list", "--db", db], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /NAME\s+CONNECTOR\s+SCHEDULE/);
  assert.match(list.stdout, /cli\s+vault\s+every 15 min/);
  assert.match(list.stdout, /#1 succeeded/);

  const unknown = await sluice(["connections", "run", "nope", "--db", db], { env });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no connection is named "nope"/);
  const notJson = await sluice(
    ["connections", "create", "--name", "x", "--connector", "vault", "--options", "{oops", "--db", db],
    { env },
  );
  assert.equal(notJson.code, 1);
  assert.match(notJson.stderr, /the options are not JSON/);
});

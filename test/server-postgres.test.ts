/**
 * `sluice server --db postgres://…`: the server's tables and the data in one
 * PostgreSQL database (schema "sluice"), a real connector run into it,
 * browsed and searched; connections that sync elsewhere (a SQLite file, a
 * DuckDB file); secrets sealed in the database; everything kept across a
 * restart.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { openDatabase } from "../src/server/metadata/database.js";
import { parseStoreLocation, type StoreLocation } from "../src/stores/location.js";
import { sluice, tempDir } from "./helpers.js";
import {
  createDatabase,
  failOverKeepingPrimaryUp,
  type OwnPostgres,
  PG_ROLE,
  pgQuery,
  pgUrl,
  relayToPostgres,
  startOwnPostgres,
  startPgBouncer,
} from "./pg-helpers.js";
import { call, installVault, type RunView, runToEnd, startServer, waitFor } from "./server-helpers.js";

const SECRET = "key-0b9e4d7a1c3f5e2d8a6b";

test("on PostgreSQL: the server's tables beside the data, runs into it and elsewhere, browsing and search, a restart", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installVault(home, join(dir, "vault-src"));
  const database = await createDatabase(t);
  const db = pgUrl(database);
  const server = await startServer(t, { db, home });
  const token = server.token!;
  const api = <T>(method: string, path: string, body?: unknown) => call<T>(server.url, method, path, { token, body });

  const vault = (name: string, count: number, destination?: string) =>
    api<{ id: number }>("POST", "/api/connections", {
      name,
      connector: "vault",
      options: { format: "json", value: { api_key: SECRET, count, page_size: 4 } },
      destination,
    });
  const here = await vault("vault-pg", 11);
  assert.equal(here.status, 201, JSON.stringify(here.body));
  const sqliteFile = join(dir, "elsewhere.db");
  const inFile = await vault("vault-file", 6, sqliteFile);
  assert.equal(inFile.status, 201, JSON.stringify(inFile.body));
  const inDuck = await vault("vault-duck", 5, `duckdb:${join(dir, "elsewhere.duckdb")}`);
  assert.equal(inDuck.status, 201, JSON.stringify(inDuck.body));
  const withPassword = await vault("vault-leaky", 1, `postgres://sluice_test:sluice_test@127.0.0.1/${database}`);
  assert.equal(withPassword.status, 400);
  assert.deepEqual(
    [
      (withPassword.body as { error: { field: string } }).error.field,
      JSON.stringify(withPassword.body).includes("sluice_test:sluice_test"),
    ],
    ["destination", false],
    "a password inside a destination URL is refused, and not repeated",
  );

  for (const [connection, records] of [
    [here.body.id, 11],
    [inFile.body.id, 6],
    [inDuck.body.id, 5],
  ]) {
    const run = await runToEnd(server, token, connection);
    assert.equal(run.status, "succeeded", run.error ?? "");
    assert.equal(run.records, records);
  }

  const rows = await pgQuery<{ n: number }>(database, 'SELECT count(*)::int AS n FROM sluice."vault_pg_items"');
  assert.equal(rows[0].n, 11, "the rows are in PostgreSQL, in the store's schema");
  const metadataTables = await pgQuery<{ table_name: string }>(
    database,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sluice' AND table_name IN ('_sluice_tokens', '_sluice_connections', '_sluice_runs') ORDER BY 1",
  );
  assert.deepEqual(
    metadataTables.map((r) => r.table_name),
    ["_sluice_connections", "_sluice_runs", "_sluice_tokens"],
    "the server's tables are beside the data",
  );
  const sealed = await pgQuery<{ text: string }>(
    database,
    "SELECT row_to_json(c)::text AS text FROM sluice._sluice_connections c",
  );
  assert.equal(sealed.length, 3);
  assert.ok(!sealed.some((r) => r.text.includes(SECRET)), "secrets are sealed in the database");

  const tables = await api<{ table: string; rows: number }[]>("GET", `/api/connections/${here.body.id}/tables`);
  assert.equal(tables.status, 200, JSON.stringify(tables.body));
  assert.deepEqual(
    tables.body.map((x) => [x.table, x.rows]),
    [["vault_pg_items", 11]],
  );
  const page = await api<{ rows: { id: number }[]; total: number }>(
    "GET",
    `/api/connections/${here.body.id}/tables/vault_pg_items/rows?offset=8&limit=5`,
  );
  assert.deepEqual([page.body.rows.map((r) => Number(r.id)), page.body.total], [[8, 9, 10], 11]);
  const fileTables = await api<{ table: string; rows: number }[]>("GET", `/api/connections/${inFile.body.id}/tables`);
  assert.deepEqual(
    fileTables.body.map((x) => [x.table, x.rows]),
    [["vault_file_items", 6]],
  );
  const duckTables = await api<{ table: string; rows: number }[]>("GET", `/api/connections/${inDuck.body.id}/tables`);
  assert.deepEqual(
    [duckTables.status, duckTables.body.map((x) => [x.table, x.rows])],
    [200, [["vault_duck_items", 5]]],
    JSON.stringify(duckTables.body),
  );
  const duckPage = await api<{ rows: { id: unknown; email: string }[]; total: number }>(
    "GET",
    `/api/connections/${inDuck.body.id}/tables/vault_duck_items/rows?offset=3&limit=5`,
  );
  assert.deepEqual(
    [duckPage.status, duckPage.body.rows.map((r) => [Number(r.id), r.email]), duckPage.body.total],
    [
      200,
      [
        [3, "item3@example.test"],
        [4, "item4@example.test"],
      ],
      5,
    ],
    JSON.stringify(duckPage.body),
  );

  const found = await api<{ connection: string; uri: string }[]>("GET", "/api/search?q=item9@EXAMPLE");
  assert.deepEqual(
    found.body.map((hit) => [hit.connection, hit.uri]),
    [["vault-pg", "https://vault.example.test/items/9"]],
    "search reads PostgreSQL case-insensitively",
  );
  const inSqlite = await api<{ connection: string }[]>("GET", "/api/search?q=item5@example");
  assert.deepEqual(inSqlite.body.map((hit) => hit.connection).sort(), ["vault-file", "vault-pg"]);
  const everywhere = await api<{ connection: string }[]>("GET", "/api/search?q=ITEM3@example");
  assert.deepEqual(
    everywhere.body.map((hit) => hit.connection).sort(),
    ["vault-duck", "vault-file", "vault-pg"],
    "search reads every destination: PostgreSQL, SQLite and DuckDB",
  );

  assert.equal(await server.stop("SIGTERM"), 0);
  assert.ok(!server.output().includes(SECRET), "the secret is not in the server's output");

  const again = await startServer(t, { db, home });
  assert.equal(again.token, undefined, "a restart makes no new admin token");
  const runs = await call<RunView[]>(again.url, "GET", "/api/runs", { token });
  assert.equal(runs.status, 200);
  assert.equal(runs.body.length, 3, "runs are kept across a restart");
  const tokens = await sluice(["--json", "server", "token", "list", "--db", db], {
    env: { ...process.env, SLUICE_HOME: home },
  });
  assert.equal(tokens.code, 0, tokens.stderr);
  assert.equal((JSON.parse(tokens.stdout) as { name: string }[])[0].name, "admin");
  assert.equal(await again.stop("SIGTERM"), 0);
});

test("behind a pooler in transaction mode (PgBouncer): the server keeps its tables in its schema, runs into it and into another database, browses, searches and restarts", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installVault(home, join(dir, "vault-src"));
  // One server connection: whatever a statement set for its session would be seen by the next client's.
  const port = await startPgBouncer(t, 1);
  const [main, elsewhere] = [await createDatabase(t), await createDatabase(t)];
  const pooled = (database: string) => `postgres://${PG_ROLE.user}@127.0.0.1:${port}/${database}`;
  const server = await startServer(t, { db: pooled(main), home });
  const token = server.token!;
  const api = <T>(method: string, path: string, body?: unknown) => call<T>(server.url, method, path, { token, body });
  const vault = async (name: string, count: number, destination?: string) => {
    const options = { format: "json", value: { api_key: SECRET, count, page_size: 4 } };
    const made = await api<{ id: number }>("POST", "/api/connections", {
      name,
      connector: "vault",
      options,
      destination,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const run = await runToEnd(server, token, made.body.id);
    assert.equal(run.status, "succeeded", run.error ?? "");
    return made.body.id;
  };
  const here = await vault("vault-here", 7);
  const there = await vault("vault-there", 5, pooled(elsewhere));

  for (const [connection, table, rows] of [
    [here, "vault_here_items", 7],
    [there, "vault_there_items", 5],
  ] as const) {
    const tables = await api<{ table: string; rows: number }[]>("GET", `/api/connections/${connection}/tables`);
    assert.deepEqual(
      tables.body.map((x) => [x.table, x.rows]),
      [[table, rows]],
      JSON.stringify(tables.body),
    );
    const page = await api<{ rows: unknown[]; total: number }>(
      "GET",
      `/api/connections/${connection}/tables/${table}/rows?offset=2&limit=2`,
    );
    assert.deepEqual([page.body.rows.length, page.body.total], [2, rows]);
  }
  const found = await api<{ connection: string }[]>("GET", "/api/search?q=item3@example");
  assert.deepEqual(found.body.map((hit) => hit.connection).sort(), ["vault-here", "vault-there"]);

  // Nothing landed outside the store's schema, as it would through a search_path the pooler dropped.
  for (const database of [main, elsewhere]) {
    const stray = await pgQuery<{ name: string }>(
      database,
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    assert.deepEqual(stray, [], database);
  }
  assert.equal(await server.stop("SIGTERM"), 0);
  const again = await startServer(t, { db: pooled(main), home });
  const runs = await call<RunView[]>(again.url, "GET", "/api/runs", { token });
  assert.deepEqual([runs.status, runs.body.length], [200, 2], "runs are kept across a restart");
  assert.equal(await again.stop("SIGTERM"), 0);
});

/** A server with the vault connector, on a new database reached through a relay the test can cut. */
async function serverBehindRelay(t: TestContext, env?: NodeJS.ProcessEnv) {
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installVault(home, join(dir, "vault-src"));
  const database = await createDatabase(t);
  const relay = await relayToPostgres(t);
  const server = await startServer(t, {
    db: `postgres://${PG_ROLE.user}@127.0.0.1:${relay.port}/${database}`,
    home,
    env,
  });
  return { database, relay, server, token: server.token! };
}

/**
 * A server behind a relay (serverBehindRelay) with a vault connection of 20 pages 150 ms apart (a run
 * lasts about 3 s), and what starts a run of it and resolves once its first records are in.
 */
async function slowRunBehindRelay(t: TestContext, env?: NodeJS.ProcessEnv) {
  const setup = await serverBehindRelay(t, env);
  const { server, token } = setup;
  const api = <T>(method: string, path: string) => call<T>(server.url, method, path, { token });
  const options = { format: "json", value: { api_key: SECRET, count: 400, page_size: 20, sleep_ms: 150 } };
  const made = await call<{ id: number }>(server.url, "POST", "/api/connections", {
    token,
    body: { name: "vault", connector: "vault", options },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const runUnderWay = async () => {
    const started = await api<RunView>("POST", `/api/connections/${made.body.id}/runs`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await waitFor(async () =>
      (await api<RunView>("GET", `/api/runs/${started.body.id}`)).body.records > 0 ? true : undefined,
    );
    return started.body.id;
  };
  return { ...setup, api, connectionId: made.body.id, runUnderWay };
}

test("its PostgreSQL gone while the server runs and a run is under way: requests answer 503 naming the server and why, the server lives on, the run's end is recorded once it is back, and the next run goes on", async (t) => {
  // Runs do not wait for the database to come back (SLUICE_PG_RECONNECT_SECONDS=0): an outage longer than that wait.
  const { database, relay, server, token, api, connectionId, runUnderWay } = await slowRunBehindRelay(t, {
    SLUICE_PG_RECONNECT_SECONDS: "0",
  });
  assert.equal((await runToEnd(server, token, connectionId)).status, "succeeded");

  const cutOff = await runUnderWay();
  await relay.cut();
  for (const path of ["/api/connections", `/api/connections/${connectionId}/tables`, `/api/runs/${cutOff}`]) {
    const answer = await api<{ error: { code: string; message: string } }>("GET", path);
    assert.equal(answer.status, 503, `${path}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error.code, "STORE_UNREACHABLE", path);
    assert.equal(answer.headers.get("retry-after"), "5", path);
    // The pool's idle connections were cut (lost), new ones are refused: either way the server and why.
    assert.match(
      answer.body.error.message,
      new RegExp(`127\\.0\\.0\\.1:${relay.port}.*(connection refused|connection was lost)`),
      path,
    );
  }
  // Long enough for the run to meet the cut, and to try recording its end more than once.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  assert.equal(server.child.exitCode, null, "the server lives on");
  await relay.restore();

  const ended = await waitFor(async () => {
    const run = await api<RunView>("GET", `/api/runs/${cutOff}`);
    return run.status === 200 && run.body.finishedAt ? run.body : undefined;
  });
  assert.equal(ended.status, "failed", "its end, recorded once the database is back");
  assert.match(ended.error ?? "", /STORE_UNREACHABLE|connection (was lost|refused)/);
  const next = await runToEnd(server, token, connectionId);
  assert.equal(next.status, "succeeded", `the next run is not refused: ${next.error}`);

  const tables = await api<{ table: string; rows: number }[]>("GET", `/api/connections/${connectionId}/tables`);
  assert.deepEqual([tables.status, tables.body.map((x) => [x.table, x.rows])], [200, [["vault_items", 400]]]);
  const log = await pgQuery<{ status: string; error: string | null }>(
    database,
    "SELECT status, error FROM sluice._sluice_syncs ORDER BY id",
  );
  assert.deepEqual(
    log.map((entry) => entry.status),
    ["succeeded", "failed", "succeeded"],
    "the cut-off sync's entry is closed with its own end by the next sync",
  );
  assert.match(log[1]!.error ?? "", /recorded by a later sync/);
  const output = server.output();
  assert.ok(output.split("\n").filter((line) => line.includes("failed:")).length >= 3, output);
  assert.match(output, /while the database is out of reach: its end is recorded once it is back/);
  assert.ok((output.match(/progress not saved/g) ?? []).length <= 1, "a run's unsaved progress is said once");
  assert.ok(!/\n\s+at /.test(output), "one line per failed request, no stack");
  assert.equal(await server.stop("SIGTERM"), 0);
});

test("its PostgreSQL restarting while a run is under way: the run waits for it and succeeds with every row, and the server says so", async (t) => {
  const { database, relay, server, api, runUnderWay } = await slowRunBehindRelay(t);
  const runId = await runUnderWay();
  await relay.cut();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await relay.restore();

  const ended = await waitFor(async () => {
    const run = await api<RunView>("GET", `/api/runs/${runId}`);
    return run.status === 200 && run.body.finishedAt ? run.body : undefined;
  });
  assert.equal(ended.status, "succeeded", `${ended.error}\n${server.output()}`);
  assert.equal(ended.records, 400);
  const log = await pgQuery<{ status: string }>(database, "SELECT status FROM sluice._sluice_syncs");
  assert.deepEqual(
    log.map((entry) => entry.status),
    ["succeeded"],
  );
  const detail = await api<{ log: { level: string; message: string }[] }>("GET", `/api/runs/${runId}`);
  const warnings = detail.body.log.filter((entry) => entry.level === "warn").map((entry) => entry.message);
  assert.ok(
    warnings.some((message) => /trying again for up to 60 s/.test(message)),
    `the run's log says it waits:\n${warnings.join("\n")}`,
  );
  assert.ok(
    warnings.some((message) => /connected again after \d+\.\d s/.test(message)),
    warnings.join("\n"),
  );
  assert.equal(await server.stop("SIGTERM"), 0);
});

test("its PostgreSQL gone while schedules are due: the server lives on, says once that the scheduler waits for it, and the schedules fire again once it is back", async (t) => {
  const { relay, server, token } = await serverBehindRelay(t);
  const made = await call<{ id: number }>(server.url, "POST", "/api/connections", {
    token,
    body: {
      name: "often",
      connector: "vault",
      options: { format: "json", value: { api_key: SECRET, count: 3 } },
      schedule: { everySeconds: 1 },
    },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const scheduledRuns = async () => {
    const runs = await call<RunView[]>(server.url, "GET", `/api/connections/${made.body.id}/runs`, { token });
    return runs.status === 200 ? runs.body.length : undefined;
  };
  await waitFor(async () => ((await scheduledRuns()) ?? 0) >= 1 || undefined);

  await relay.cut();
  await new Promise((resolve) => setTimeout(resolve, 5000));
  assert.equal(server.child.exitCode, null, `the server lives on:\n${server.output()}`);
  await relay.restore();
  // Runs after the outage: the scheduler goes on by itself.
  const before = (await waitFor(scheduledRuns)) as number;
  await waitFor(
    async () => ((await scheduledRuns()) ?? 0) >= before + 2 || undefined,
    30_000,
    "scheduled runs after the outage",
  );
  const waits = server.output().match(/scheduler: cannot read the schedules \(store postgres:\/\/[^)]*\)/g) ?? [];
  assert.equal(waits.length, 1, `one line for the outage, not one per tick:\n${server.output()}`);
  assert.equal(await server.stop("SIGTERM"), 0);
});

type PostgresLocation = Extract<StoreLocation, { kind: "postgres" }>;

test("a server and its workers opening one new PostgreSQL schema at the same instant: each opens it", async (t) => {
  const database = await createDatabase(t);
  // A race loses only now and then: several fresh schemas make a loss near certain without the lock.
  for (let round = 0; round < 5; round++) {
    const location = pgUrl(database);
    const opened = await Promise.allSettled(
      [1, 2, 3].map(() => openDatabase(parseStoreLocation(location) as PostgresLocation, { schema: `meta${round}` })),
    );
    for (const result of opened) if (result.status === "fulfilled") await result.value.close();
    assert.deepEqual(
      opened.map((result) => (result.status === "rejected" ? String(result.reason) : "opened")),
      ["opened", "opened", "opened"],
    );
  }
});

/** A primary and its streaming standby of the test's own, and `sluice server` on the URL listing both (standby first). */
async function serverOnListedCluster(t: TestContext) {
  const primary = await startOwnPostgres(t);
  const standby = await startOwnPostgres(t, { standbyOf: primary });
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installVault(home, join(dir, "vault-src"));
  const servers = [standby.port, primary.port].map((port) => `127.0.0.1:${port}`).join(",");
  const server = await startServer(t, { db: `postgres://${PG_ROLE.user}@${servers}/postgres`, home });
  const token = server.token!;
  const api = <T>(method: string, path: string, body?: unknown) => call<T>(server.url, method, path, { token, body });
  return { primary, standby, server, token, api };
}

test("on a cluster named by libpq's list of servers (standby,primary): the server starts on the primary, and after a failover to the standby it answers and runs there", async (t) => {
  const { primary, standby, server, token, api } = await serverOnListedCluster(t);
  const options = { format: "json", value: { api_key: SECRET, count: 200, page_size: 50 } };
  const made = await api<{ id: number }>("POST", "/api/connections", { name: "vault", connector: "vault", options });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal((await runToEnd(server, token, made.body.id)).status, "succeeded");
  const rowsOn = async (on: OwnPostgres) =>
    Number((await on.query<{ n: string }>("SELECT count(*) AS n FROM sluice.vault_items"))[0]!.n);
  assert.equal(await rowsOn(primary), 200);

  primary.stop("fast");
  standby.promote();
  // The pool's connections to the old primary fail (503) until a new one finds the promoted standby.
  const listed = await waitFor(async () => {
    const answer = await api<{ id: number }[]>("GET", "/api/connections");
    return answer.status === 200 ? answer : undefined;
  });
  assert.deepEqual(
    listed.body.map((connection) => connection.id),
    [made.body.id],
  );
  const again = await runToEnd(server, token, made.body.id);
  assert.equal(again.status, "succeeded", again.error ?? "");
  assert.equal(await rowsOn(standby), 200);
  const runs = await api<RunView[]>("GET", "/api/runs");
  assert.deepEqual(
    runs.body.map((run) => run.status),
    ["succeeded", "succeeded"],
  );
  assert.equal(await server.stop("SIGTERM"), 0);
});

test("on a listed cluster whose old primary stays up and takes no writes after a failover: the first write it refuses (503) moves the pool, which retires its connections to the old primary, and reads and writes go on at the promoted standby", async (t) => {
  const { primary, standby, server, api } = await serverOnListedCluster(t);
  const options = { format: "json", value: { api_key: SECRET, count: 10 } };
  const add = (name: string) => api<{ id: number }>("POST", "/api/connections", { name, connector: "vault", options });
  // Several requests at once: the pool holds several connections to the primary.
  const before = await Promise.all(["a", "b", "c"].map(add));
  assert.deepEqual(
    before.map((answer) => answer.status),
    [201, 201, 201],
  );

  await failOverKeepingPrimaryUp(primary, standby);
  // A write on a pooled connection to the old primary fails (503: out of reach for writing), and the pool moves.
  const failed: string[] = [];
  let added: Awaited<ReturnType<typeof add>> | undefined;
  for (let attempt = 0; attempt < 20 && !added; attempt++) {
    const answer = await add(`after-${attempt}`);
    if (answer.status === 201) added = answer;
    else {
      failed.push(`${answer.status} ${JSON.stringify(answer.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  assert.ok(added, `no write succeeded after the failover: ${failed.join("\n")}`);
  // The first write's failure makes the pool search the list and retire every connection to the old primary.
  assert.ok(failed.length <= 2, failed.join("\n"));
  for (const failure of failed) assert.match(failure, /^503 .*takes no writes/);
  const names = await standby.query<{ name: string }>("SELECT name FROM sluice._sluice_connections ORDER BY name");
  assert.deepEqual(
    names.map((row) => row.name),
    ["a", `after-${failed.length}`, "b", "c"],
  );
  // Reads too, several at once (so on every connection the pool holds): none from the old primary, which lacks the new one.
  for (let round = 0; round < 3; round++) {
    const lists = await Promise.all([1, 2, 3, 4].map(() => api<{ name: string }[]>("GET", "/api/connections")));
    for (const list of lists)
      assert.deepEqual(list.body.map((connection) => connection.name).sort(), names.map((row) => row.name).sort());
  }
  assert.equal(await server.stop("SIGTERM"), 0);
});

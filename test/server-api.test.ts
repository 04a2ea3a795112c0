/**
 * `sluice server`'s API against a real server process on a real SQLite
 * database, running a real connector: connections, runs, data, search;
 * secrets never in a response, a log line or the database; every endpoint
 * refuses callers without a live token, and cookie sessions without CSRF.
 */
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { query, sluiceJson, tempDir } from "./helpers.js";
import { openStoreReader } from "../src/stores/reader.js";
import {
  call,
  installGenerator,
  installVault,
  type RunningServer,
  runToEnd,
  startServer,
  waitFor,
} from "./server-helpers.js";

const SECRET = "key-7f3a9c2e5b1d8f4a6c0e";
const PASSWORD = "hunter2-correct-horse";
const MASK = "••••••••";

interface Run {
  id: number;
  status: string;
  records: number;
  pages: number;
  error: string | null;
  stderrTail: string | null;
  finishedAt: string | null;
}

async function finished(server: RunningServer, token: string, runId: number): Promise<Run> {
  return waitFor(
    async () => {
      const { body } = await call<Run>(server.url, "GET", `/api/runs/${runId}`, { token });
      return body.finishedAt ? body : undefined;
    },
    90_000,
    `run ${runId} to finish`,
  );
}

test("a connection runs into the store, its data is browsed and searched; its secrets appear nowhere in plain text", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "app.db");
  const home = join(dir, "home");
  await installVault(home, join(dir, "vault-src"));
  const server = await startServer(t, { db, home });
  const token = server.token!;
  assert.match(token, /^sluice_/);
  assert.equal(statSync(join(home, "secret.key")).mode & 0o777, 0o600, "the generated key file is owner-only");
  const responses: string[] = [];
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await call<T>(server.url, method, path, { token, body });
    responses.push(JSON.stringify(response.body));
    return response;
  };

  const spec = await api<{ secretPaths: string[]; optionsSchema: object }>("GET", "/api/connectors/vault/spec");
  assert.equal(spec.status, 200);
  assert.deepEqual(spec.body.secretPaths.sort(), ["/api_key", "/password"]);

  const check = await api<{ ok: boolean; problems: string[] }>("POST", "/api/connectors/vault/check", {
    options: { format: "json", value: { api_key: "nope" } },
  });
  assert.deepEqual(check.body, { ok: false, problems: ['option "api_key": not a key (keys start with key-)'] });

  const created = await api<{ id: number; options: { value: Record<string, unknown> }; secretPaths: string[] }>(
    "POST",
    "/api/connections",
    {
      name: "vault-eu",
      connector: "vault",
      options: { format: "json", value: { api_key: SECRET, password: PASSWORD, count: 23, page_size: 5 } },
    },
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.options.value.api_key, MASK);
  assert.equal(created.body.options.value.password, MASK);
  assert.equal(created.body.options.value.count, 23);
  const id = created.body.id;

  const started = await api<Run>("POST", `/api/connections/${id}/runs`);
  assert.equal(started.status, 202);
  const run = await finished(server, token, started.body.id);
  assert.equal(run.status, "succeeded", run.error ?? "");
  assert.equal(run.records, 23);
  assert.equal(run.pages, 5);
  assert.equal(
    query<{ n: number }>(db, 'SELECT count(*) AS n FROM "vault_eu_items"')[0].n,
    23,
    "rows are in the store",
  );

  const detail = await api<{ log: { message: string }[]; connection: string }>("GET", `/api/runs/${run.id}`);
  assert.equal(detail.body.connection, "vault-eu");
  const careless = detail.body.log.find((entry) => entry.message.includes("connecting to eu with key"));
  assert.ok(careless, "the connector's own log line is in the run's log");
  assert.match(careless.message, /with key \*\*\* \(a careless connector\)/, "with the key redacted");

  const tables = await api<{ table: string; rows: number }[]>("GET", `/api/connections/${id}/tables`);
  assert.deepEqual(
    tables.body.map((x) => [x.table, x.rows]),
    [["vault_eu_items", 23]],
  );
  const page = await api<{ rows: { id: number }[]; total: number; columns: string[] }>(
    "GET",
    `/api/connections/${id}/tables/vault_eu_items/rows?offset=20&limit=5`,
  );
  assert.deepEqual(
    page.body.rows.map((r) => r.id),
    [20, 21, 22],
  );
  assert.equal(page.body.total, 23);
  assert.ok(!page.body.columns.some((c) => c.startsWith("_sluice_")), "bookkeeping columns are not shown");
  const other = await api("GET", `/api/connections/${id}/tables/_sluice_tokens/rows`);
  assert.equal(other.status, 404, "only the connection's own tables can be read");

  const search = await api<{ connection: string; key: { id: number }; uri: string; matched: string[] }[]>(
    "GET",
    "/api/search?q=ITEM17@example",
  );
  assert.equal(search.body.length, 1);
  assert.equal(search.body[0].connection, "vault-eu");
  assert.deepEqual(search.body[0].key, { id: 17 });
  assert.equal(search.body[0].uri, "https://vault.example.test/items/17");
  assert.deepEqual(search.body[0].matched, ["email"]);

  // An edit sending the masks back keeps the stored secrets: the connector's check still passes.
  const edited = await api<{ options: { value: Record<string, unknown> } }>("PUT", `/api/connections/${id}`, {
    name: "vault-eu",
    connector: "vault",
    options: { format: "json", value: { api_key: MASK, password: MASK, count: 24, page_size: 5 } },
  });
  assert.equal(edited.status, 200, JSON.stringify(edited.body));
  assert.equal(edited.body.options.value.count, 24);
  const recheck = await api<{ ok: boolean }>("POST", `/api/connections/${id}/check`);
  assert.deepEqual(recheck.body, { ok: true, problems: [] });
  for (const path of ["/api/connections", `/api/connections/${id}`, `/api/connections/${id}/runs`, "/api/runs"])
    await api("GET", path);

  assert.equal(await server.stop("SIGTERM"), 0);
  const everything = [...responses, server.output(), fileText(db), fileText(`${db}-wal`)].join("\n");
  for (const secret of [SECRET, PASSWORD])
    assert.ok(!everything.includes(secret), `"${secret}" appears in a response, the server's output or the database`);
});

test("every endpoint refuses a missing or revoked token; cookie sessions need their CSRF token to change anything", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "app.db");
  const home = join(dir, "home");
  const server = await startServer(t, { db, home });
  const token = server.token!;
  const revoked = await sluiceJson<{ token: string }>(["server", "token", "create", "--name", "old", "--db", db]);
  await sluiceJson(["server", "token", "revoke", "old", "--db", db]);
  const reader = await sluiceJson<{ token: string }>([
    "server",
    "token",
    "create",
    "--name",
    "r",
    "--role",
    "read",
    "--db",
    db,
  ]);

  const openapi = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
    server.url,
    "GET",
    "/api/openapi.json",
    { token },
  );
  assert.equal(openapi.status, 200);
  assert.equal(openapi.body.openapi, "3.1.0");
  const operations = Object.entries(openapi.body.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{(\w+)\}/g, (_, p) => (p === "id" ? "1" : "x")),
    })),
  );
  assert.ok(operations.length >= 20, `the document lists the API (${operations.length} operations)`);

  const login = await call<{ csrf: string }>(server.url, "POST", "/api/session", { body: { token } });
  assert.equal(login.status, 200);
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  assert.match(login.headers.get("set-cookie")!, /HttpOnly; SameSite=Strict/);

  for (const { method, path } of operations) {
    if (method === "POST" && path === "/api/session") continue;
    const body = method === "GET" || method === "DELETE" ? undefined : {};
    const none = await call<{ error: { code: string } }>(server.url, method, path, { body });
    assert.equal(none.status, 401, `${method} ${path} without a token`);
    assert.equal(none.body.error.code, "UNAUTHENTICATED");
    const old = await call(server.url, method, path, { body, token: revoked.token });
    assert.equal(old.status, 401, `${method} ${path} with a revoked token`);
    if (method !== "GET" && path !== "/api/session") {
      const noCsrf = await call<{ error: { code: string } }>(server.url, method, path, { body, headers: { cookie } });
      assert.equal(noCsrf.status, 403, `${method} ${path} from a cookie session without CSRF`);
      assert.equal(noCsrf.body.error.code, "CSRF_REQUIRED");
      const readOnly = await call<{ error: { code: string } }>(server.url, method, path, { body, token: reader.token });
      assert.equal(readOnly.status, 403, `${method} ${path} with a read token`);
    }
  }

  const page = await call(server.url, "GET", "/connections");
  assert.equal(page.status, 303, "a page without a session goes to the login page");
  assert.match(page.headers.get("location")!, /^\/login\?next=%2Fconnections/);
  const withCsrf = await call<{ error: { code: string } }>(server.url, "POST", "/api/connectors/nothere/check", {
    body: { options: { format: "raw", value: "" } },
    headers: { cookie, "x-csrf-token": login.body.csrf },
  });
  assert.equal(withCsrf.status, 404, "with its CSRF token the session passes (to an honest 404)");
  assert.equal(withCsrf.body.error.code, "CONNECTOR_NOT_INSTALLED");

  const form = await fetch(`${server.url}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, next: "/connectors" }),
    redirect: "manual",
  });
  assert.equal(form.status, 303);
  assert.equal(form.headers.get("location"), "/connectors");
  const bad = await fetch(`${server.url}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: "sluice_000000000000_nope", next: "//evil.example" }),
    redirect: "manual",
  });
  assert.equal(bad.status, 401);
  assert.match(await bad.text(), /That token is not valid/);

  await sluiceJson(["server", "token", "revoke", "admin", "--db", db]);
  const afterRevoke = await call(server.url, "GET", "/api/session", { headers: { cookie } });
  assert.equal(afterRevoke.status, 401, "revoking the token ends its browser sessions");
});

test("errors name the field; one run per connection at a time; a failing connector's error and stderr tail; cancel keeps committed pages", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "app.db");
  const home = join(dir, "home");
  await installVault(home, join(dir, "vault-src"));
  const server = await startServer(t, { db, home, env: { SLUICE_SECRET_KEY: "q".repeat(43) + "=" } });
  const token = server.token!;
  const post = <T>(path: string, body?: unknown) => call<T>(server.url, "POST", path, { token, body });
  type Failure = { error: { code: string; field?: string; message: string } };

  const missing = await post<Failure>("/api/connections", {
    connector: "vault",
    options: { format: "raw", value: "" },
  });
  assert.equal(missing.status, 400);
  assert.deepEqual([missing.body.error.code, missing.body.error.field], ["REQUEST_INVALID", "name"]);
  const cron = await post<Failure>("/api/connections", {
    name: "c",
    connector: "vault",
    options: { format: "json", value: { api_key: "key-1" } },
    schedule: { cron: "every tuesday" },
  });
  assert.equal(cron.status, 400);
  assert.deepEqual([cron.body.error.code, cron.body.error.field], ["SCHEDULE_INVALID", "schedule"]);
  const withDestination = (destination: string) =>
    post<Failure>("/api/connections", {
      name: "c",
      connector: "vault",
      options: { format: "json", value: { api_key: "key-1" } },
      destination,
    });
  const mysql = await withDestination("mysql://ann:hunter2@db.example/app");
  assert.equal(mysql.status, 400);
  assert.deepEqual([mysql.body.error.code, mysql.body.error.field], ["REQUEST_INVALID", "destination"]);
  assert.match(mysql.body.error.message, /"mysql:\/\/…" is none Sluice knows/);
  const misspelt = await withDestination("postgres://loader@db.example/app?sslmdoe=require");
  assert.equal(misspelt.status, 400);
  assert.deepEqual([misspelt.body.error.code, misspelt.body.error.field], ["REQUEST_INVALID", "destination"]);
  assert.match(
    misspelt.body.error.message,
    /sslmdoe= in the URL is no PostgreSQL connection setting: did you mean sslmode\?/,
  );
  const passphrase = await withDestination(
    "postgres://loader@db.example/app?sslmode=require&sslpassword=key-passphrase",
  );
  assert.equal(passphrase.status, 400);
  assert.match(passphrase.body.error.message, /holds a password, which every response would show/);
  assert.doesNotMatch(passphrase.body.error.message, /key-passphrase/);
  const noConnector = await post<Failure>("/api/connections", {
    name: "c",
    connector: "missing",
    options: { format: "json", value: {} },
  });
  assert.equal(noConnector.status, 404);
  assert.equal(noConnector.body.error.code, "CONNECTOR_NOT_INSTALLED");

  const slow = await post<{ id: number }>("/api/connections", {
    name: "slow",
    connector: "vault",
    options: { format: "json", value: { api_key: "key-slow", count: 400, page_size: 10, sleep_ms: 100 } },
  });
  assert.equal(slow.status, 201, JSON.stringify(slow.body));
  const duplicate = await post<Failure>("/api/connections", {
    name: "slow",
    connector: "vault",
    options: { format: "json", value: { api_key: "key-slow" } },
  });
  assert.equal(duplicate.status, 409);
  assert.deepEqual([duplicate.body.error.code, duplicate.body.error.field], ["CONNECTION_EXISTS", "name"]);

  const first = await post<Run>(`/api/connections/${slow.body.id}/runs`);
  assert.equal(first.status, 202);
  const second = await post<Failure>(`/api/connections/${slow.body.id}/runs`);
  assert.equal(second.status, 409);
  assert.equal(second.body.error.code, "RUN_ACTIVE");
  await waitFor(
    async () => {
      const { body } = await call<Run>(server.url, "GET", `/api/runs/${first.body.id}`, { token });
      return body.pages >= 3 ? body : undefined;
    },
    60_000,
    "three pages",
  );
  const cancel = await post<Run>(`/api/runs/${first.body.id}/cancel`);
  assert.equal(cancel.status, 202);
  const cancelled = await finished(server, token, first.body.id);
  assert.equal(cancelled.status, "cancelled");
  const kept = query<{ n: number }>(db, 'SELECT count(*) AS n FROM "slow_items"')[0].n;
  assert.ok(kept >= 30 && kept < 400, `committed pages stay (${kept} rows)`);
  const log = query<{ status: string }>(db, "SELECT status FROM _sluice_syncs WHERE connector = 'slow'");
  assert.deepEqual(
    log.map((r) => r.status),
    ["cancelled"],
    "the sync log says cancelled",
  );

  // Another destination: the data goes there, and is browsed and searched there.
  const elsewhere = join(dir, "elsewhere.db");
  const moved = await post<{ id: number }>("/api/connections", {
    name: "moved",
    connector: "vault",
    destination: elsewhere,
    tablePrefix: "vault_",
    options: { format: "json", value: { api_key: "key-moved", count: 7 } },
  });
  assert.equal(
    (await finished(server, token, (await post<Run>(`/api/connections/${moved.body.id}/runs`)).body.id)).status,
    "succeeded",
  );
  assert.equal(query<{ n: number }>(elsewhere, "SELECT count(*) AS n FROM vault_items")[0].n, 7);
  assert.equal(
    query(db, "SELECT name FROM sqlite_master WHERE name = 'vault_items'").length,
    0,
    "not in the server's database",
  );
  const movedTables = await call<{ table: string; rows: number }[]>(
    server.url,
    "GET",
    `/api/connections/${moved.body.id}/tables`,
    { token },
  );
  assert.deepEqual(
    movedTables.body.map((x) => [x.table, x.rows]),
    [["vault_items", 7]],
  );
  const found = await call<{ connection: string }[]>(
    server.url,
    "GET",
    `/api/search?q=item6@example&connectionId=${moved.body.id}`,
    { token },
  );
  assert.deepEqual(
    found.body.map((hit) => hit.connection),
    ["moved"],
  );

  const failing = await post<{ id: number }>("/api/connections", {
    name: "failing",
    connector: "vault",
    options: { format: "json", value: { api_key: "key-fail", count: 50, fail: true } },
  });
  const failed = await finished(server, token, (await post<Run>(`/api/connections/${failing.body.id}/runs`)).body.id);
  assert.equal(failed.status, "failed");
  assert.match(
    failed.error ?? "",
    /sync \d+ of "failing" failed: connector "vault": crashed: the process exited with code 3/,
  );
  assert.match(failed.stderrTail ?? "", /upstream refused the second page: 503/);
  assert.ok(!(failed.stderrTail ?? "").includes("key-fail"), "the stderr tail is redacted too");
  assert.equal(failed.records, 5, "the first page is counted");
});

function fileText(path: string): string {
  try {
    return readFileSync(path).toString("latin1") + readFileSync(path).toString("utf8");
  } catch {
    return "";
  }
}

test("two connections running into one DuckDB file at the same time, browsed as they write: both succeed, every row and log entry stays, and the file is let go after each read", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installGenerator(home);
  const server = await startServer(t, { db: join(dir, "app.db"), home });
  const token = server.token!;
  const warehouse = join(dir, "warehouse.duckdb");
  const ids: number[] = [];
  for (const name of ["users-eu", "users-us"]) {
    const created = await call<{ id: number }>(server.url, "POST", "/api/connections", {
      token,
      body: {
        name,
        connector: "generator",
        options: { format: "json", value: { count: 100_000 } },
        destination: `duckdb:${warehouse}`,
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids.push(created.body.id);
  }
  // Both in the server's one process at once: before, each opened the file on a DuckDB instance of its own.
  let running = true;
  const finishing = Promise.all(ids.map((id) => runToEnd(server, token, id))).finally(() => {
    running = false;
  });
  // Browsed while they write, on the same instance.
  const tablesOf = (id: number) =>
    call<{ table: string; rows: number }[]>(server.url, "GET", `/api/connections/${id}/tables`, { token });
  for (let browsed = 0; running || browsed === 0; browsed++) {
    const tables = await tablesOf(ids[0]!);
    assert.equal(tables.status, 200, JSON.stringify(tables.body));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const runs = await finishing;
  for (const run of runs) assert.equal(run.status, "succeeded", run.error ?? "");
  assert.deepEqual(
    runs.map((run) => run.records),
    [100_000, 100_000],
  );
  for (const [id, table] of [
    [ids[0]!, "users_eu_users"],
    [ids[1]!, "users_us_users"],
  ] as const) {
    const tables = await tablesOf(id);
    assert.deepEqual(
      tables.body.map((x) => [x.table, x.rows]),
      [[table, 100_000]],
    );
    const page = await call<{ rows: unknown[]; total: number }>(
      server.url,
      "GET",
      `/api/connections/${id}/tables/${table}/rows?offset=99998&limit=10`,
      { token },
    );
    assert.deepEqual([page.status, page.body.rows.length, page.body.total], [200, 2, 100_000]);
  }
  // The file is let go after each read: another process opens it (below) while the server runs.

  const reader = await openStoreReader(`duckdb:${warehouse}`);
  try {
    for (const table of ["users_eu_users", "users_us_users"]) {
      const { batches } = await reader.select(table, "count(*) AS n", "");
      let counted: unknown;
      for await (const batch of batches) counted ??= batch[0]?.[0];
      assert.equal(Number(counted), 100_000, table);
    }
    // Held by another process now: the browser says so, and when to try again.
    const held = await call<{ error: { code: string; message: string } }>(
      server.url,
      "GET",
      `/api/connections/${ids[0]}/tables`,
      { token },
    );
    assert.deepEqual([held.status, held.body.error.code], [503, "STORE_BUSY"], JSON.stringify(held.body));
    assert.match(held.body.error.message, /warehouse\.duckdb: the database file is in use by another process/);
    assert.equal(held.headers.get("retry-after"), "5");
  } finally {
    await reader.close();
  }
  const syncs = await sluiceJson<{ connector: string; status: string }[]>(["syncs", "--db", `duckdb:${warehouse}`]);
  assert.deepEqual(syncs.map((sync) => [sync.connector, sync.status]).sort(), [
    ["users-eu", "succeeded"],
    ["users-us", "succeeded"],
  ]);
});

test("its SQLite file locked by another process past the wait: 503 STORE_BUSY saying so, the server lives on, and all works once it is released", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installVault(home, join(dir, "vault-src"));
  const db = join(dir, "app.db");
  const server = await startServer(t, { db, home });
  const token = server.token!;
  const create = (name: string) =>
    call<{ error: { code: string; message: string } }>(server.url, "POST", "/api/connections", {
      token,
      body: { name, connector: "vault", options: { format: "json", value: { api_key: SECRET } } },
    });
  // Another program holding the write lock: a transaction left open (a sqlite3 shell, say).
  const other = new Database(db);
  t.after(() => other.close());
  other.exec("BEGIN IMMEDIATE");
  const refused = await create("while-locked");
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, "STORE_BUSY");
  assert.match(refused.body.error.message, /app\.db: the database is locked by another process \(waited 5 s\)/);
  assert.equal(refused.headers.get("retry-after"), "5");
  other.exec("ROLLBACK");
  assert.equal((await create("once-released")).status, 201);
  assert.equal(server.child.exitCode, null, "the server lives on");
  assert.doesNotMatch(server.output(), /\n\s+at /, "one line for the refused request, no stack");
  assert.equal(await server.stop("SIGTERM"), 0);
});

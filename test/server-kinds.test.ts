/**
 * The server runs every kind of connector Sluice runs, installed through the
 * same registry: the form's schema comes from each one's own description
 * (an Airbyte spec, a Conduit specification; a Code Climate package has
 * none, so its options are free and the user names the secrets), and runs
 * go through the engine's one way to open and prepare a source — a Conduit
 * source, which never ends by itself, stopping once it is quiet. Real parts:
 * airbyte-source-faker (PyPI), Conduit's generator (Go), a Code Climate
 * package from the fixtures against a local HTTP API.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtures, startIncidentsApi } from "./codeclimate-helpers.js";
import { query, root, tempDir } from "./helpers.js";
import { call, installConnector, runToEnd, startServer } from "./server-helpers.js";

interface Spec {
  protocol: string;
  optionsSchema: { properties?: Record<string, unknown> } | null;
  secretPaths: string[];
}

test("Airbyte, Conduit and Code Climate connectors: their own option schemas for the form, and runs to done", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  const db = join(dir, "app.db");
  const emptyFolder = (name: string) => {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true });
    return folder;
  };
  await installConnector(home, {
    name: "faker",
    uri: emptyFolder("faker"),
    command: join(root, ".venv-airbyte/bin/source-faker"),
  });
  await installConnector(home, {
    name: "gen",
    uri: emptyFolder("gen"),
    command: join(root, "test/interop/conduit/bin/conduit-connector-generator"),
  });
  await installConnector(home, {
    name: "incidents",
    uri: join(fixtures, "codeclimate-connector-incidents"),
    command: "codeclimate-connector",
  });
  const server = await startServer(t, { db, home });
  const token = server.token!;
  const api = <T>(method: string, path: string, body?: unknown) => call<T>(server.url, method, path, { token, body });

  const faker = await api<Spec>("GET", "/api/connectors/faker/spec");
  assert.equal(faker.status, 200, JSON.stringify(faker.body));
  assert.equal(faker.body.protocol, "airbyte");
  assert.ok(faker.body.optionsSchema?.properties && "count" in faker.body.optionsSchema.properties);
  const gen = await api<Spec>("GET", "/api/connectors/gen/spec");
  assert.equal(gen.status, 200, JSON.stringify(gen.body));
  assert.equal(gen.body.protocol, "conduit");
  assert.ok(gen.body.optionsSchema?.properties && "recordCount" in gen.body.optionsSchema.properties);
  const incidents = await api<Spec>("GET", "/api/connectors/incidents/spec");
  assert.equal(incidents.status, 200, JSON.stringify(incidents.body));
  assert.deepEqual(
    [incidents.body.protocol, incidents.body.optionsSchema, incidents.body.secretPaths],
    ["codeclimate", null, []],
    "a Code Climate package describes no options: the form takes free JSON",
  );

  const badFaker = await api<{ ok: boolean; problems: string[] }>("POST", "/api/connectors/faker/check", {
    options: { format: "json", value: { count: "many" } },
  });
  assert.equal(badFaker.body.ok, false);
  assert.match(badFaker.body.problems.join("\n"), /count/);

  const create = (name: string, connector: string, value: object, secretPaths?: string[]) =>
    api<{ id: number; options: { value: Record<string, unknown> } }>("POST", "/api/connections", {
      name,
      connector,
      options: { format: "json", value },
      secretPaths,
    });
  const fakerConnection = await create("faker", "faker", {
    count: 15,
    seed: 3,
    records_per_slice: 15,
    parallelism: 1,
    always_updated: false,
  });
  assert.equal(fakerConnection.status, 201, JSON.stringify(fakerConnection.body));
  const streams = await api<{ name: string }[]>("POST", `/api/connections/${fakerConnection.body.id}/discover`);
  assert.ok(
    streams.body.some((s) => s.name === "users"),
    JSON.stringify(streams.body),
  );
  const genConnection = await create("gen", "gen", {
    recordCount: "12",
    "format.type": "structured",
    "format.options.id": "int",
    "format.options.name": "string",
    operations: "create",
  });
  assert.equal(genConnection.status, 201, JSON.stringify(genConnection.body));
  const incidentsApi = await startIncidentsApi(t, "cc-secret-token", 7);
  const incidentsConnection = await create(
    "incidents",
    "incidents",
    { apiToken: "cc-secret-token", baseUrl: incidentsApi.baseUrl },
    ["/apiToken"],
  );
  assert.equal(incidentsConnection.status, 201, JSON.stringify(incidentsConnection.body));
  assert.equal(incidentsConnection.body.options.value.apiToken, "••••••••", "a secret the user named is masked");

  const fakerRun = await runToEnd(server, token, fakerConnection.body.id);
  assert.equal(fakerRun.status, "succeeded", fakerRun.error ?? "");
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM faker_users")[0].n, 15);

  const genRun = await runToEnd(server, token, genConnection.body.id);
  assert.equal(genRun.status, "succeeded", genRun.error ?? "");
  assert.equal(genRun.records, 12, "the Conduit source's run stopped once it was quiet, with every record");
  const genLog = await api<{ log: { message: string }[] }>("GET", `/api/runs/${genRun.id}`);
  assert.ok(
    genLog.body.log.some((entry) => /never ends by itself: the run stops once no record arrived/.test(entry.message)),
    "the run's log says why it stopped",
  );

  const incidentsRun = await runToEnd(server, token, incidentsConnection.body.id);
  assert.equal(incidentsRun.status, "succeeded", incidentsRun.error ?? "");
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM incidents_incident")[0].n, 7);
  assert.equal(await server.stop("SIGTERM"), 0);
  assert.ok(!server.output().includes("cc-secret-token"), "the named secret is in no log line");
});

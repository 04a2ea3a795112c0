/**
 * `sluice server --temporal` with a real Temporal dev server, a real
 * PostgreSQL and a real `sluice worker`: "run now" becomes the workflow
 * sync-<connection> run by the worker (options sealed in Temporal's history),
 * progress and outcome in Sluice's runs; a SQLite destination is refused;
 * cancelling from the API stops the connector and keeps committed pages; a
 * connection's schedule is a Temporal Schedule whose runs show in Sluice's
 * history, paused with the connection and deleted with it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "./helpers.js";
import { createDatabase, pgQuery, pgUrl } from "./pg-helpers.js";
import { call, installGenerator, startServer, waitFor } from "./server-helpers.js";
import { TemporalDevServer, WorkerProcess } from "./temporal-helpers.js";

interface Run {
  id: number;
  trigger: string;
  status: string;
  records: number;
  error: string | null;
}

const TASK_QUEUE = "sluice-server-test";

interface StartedAttributes {
  input: { payloads: { data: string }[] };
}

test("sluice server --temporal: runs, refusal, cancel, schedules through Temporal", async (t) => {
  const temporal = await TemporalDevServer.start(t);
  const database = await createDatabase(t);
  const destination = pgUrl(database);
  const dir = tempDir(t);
  const secretKey = randomBytes(32).toString("hex");
  const env = { SLUICE_SECRET_KEY: secretKey };
  const serverHome = join(dir, "server-home");
  const workerHome = join(dir, "worker-home");
  await installGenerator(serverHome); // the worker installs it on first use, from the server's manifest
  const worker = new WorkerProcess(temporal.address, destination, workerHome, ["--task-queue", TASK_QUEUE], env);
  t.after(() => worker.stop());
  const server = await startServer(t, {
    db: join(dir, "app.db"),
    home: serverHome,
    env,
    args: ["--temporal", temporal.address, "--task-queue", TASK_QUEUE],
  });
  await worker.ready();
  const token = server.token!;
  const api = <T>(method: string, path: string, body?: unknown) =>
    call<T>(server.url, method, path, { token, body }).then((response) => {
      assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body;
    });
  const create = (name: string, options: object, extra: object = {}) =>
    api<{ id: number }>("POST", "/api/connections", {
      ...{ name, connector: "generator", options: { format: "json", value: options }, destination },
      ...extra,
    });
  const finished = (runId: number) =>
    waitFor(
      async () => {
        const run = await api<Run>("GET", `/api/runs/${runId}`);
        return ["succeeded", "failed", "cancelled"].includes(run.status) ? run : undefined;
      },
      120_000,
      `run ${runId} to end`,
    );

  await t.test(
    "run now: a workflow on the worker, its outcome in Sluice's run, no plaintext options in Temporal",
    async () => {
      const connection = await create("gen", { count: 500, page_size: 50 });
      const run = await api<Run>("POST", `/api/connections/${connection.id}/runs`);
      const done = await finished(run.id);
      assert.equal(done.status, "succeeded", done.error ?? "");
      assert.equal(done.records, 500);
      const [{ n }] = await pgQuery<{ n: string }>(database, "SELECT count(DISTINCT id) AS n FROM sluice.gen_users");
      assert.equal(Number(n), 500);
      assert.match(worker.output, /installed connector "generator"/);
      const detail = await api<{ log: { message: string }[] }>("GET", `/api/runs/${run.id}`);
      assert.ok(
        detail.log.some((e) => /workflow sync-gen started on task queue/.test(e.message)),
        JSON.stringify(detail.log),
      );
      const started = temporal.cli<{ events: { workflowExecutionStartedEventAttributes?: StartedAttributes }[] }>(
        "workflow",
        "show",
        "--workflow-id",
        "sync-gen",
      ).events[0].workflowExecutionStartedEventAttributes;
      const input = JSON.parse(Buffer.from(started?.input.payloads[0].data ?? "", "base64").toString("utf8"));
      assert.equal(input.optionsSealed, true);
      assert.doesNotMatch(JSON.stringify(input), /page_size/, "the options travel sealed");
    },
  );

  await t.test("a connection writing to a SQLite file is refused in distributed mode", async () => {
    const connection = await create("local", { count: 10 }, { destination: join(dir, "local.db") });
    const run = await api<Run>("POST", `/api/connections/${connection.id}/runs`);
    const done = await finished(run.id);
    assert.equal(done.status, "failed");
    assert.match(done.error ?? "", /is a SQLite file .* which the workers on other machines cannot share/);
  });

  await t.test("cancel from the API stops the connector gracefully; committed pages stay", async () => {
    const connection = await create("slow", { count: 100_000, page_size: 50, sleep_ms_per_page: 100 });
    const run = await api<Run>("POST", `/api/connections/${connection.id}/runs`);
    await waitFor(
      async () => {
        const rows = await pgQuery<{ n: string }>(database, "SELECT count(*) AS n FROM sluice.slow_users").catch(
          () => [],
        );
        return Number(rows[0]?.n ?? 0) >= 100 ? true : undefined;
      },
      60_000,
      "rows of the slow sync",
    );
    await api("POST", `/api/runs/${run.id}/cancel`);
    const done = await finished(run.id);
    assert.equal(done.status, "cancelled", done.error ?? "");
    const [{ n }] = await pgQuery<{ n: string }>(database, "SELECT count(*) AS n FROM sluice.slow_users");
    assert.ok(Number(n) >= 100 && Number(n) < 100_000, `committed pages stay (${n})`);
    const [entry] = await pgQuery<{ status: string }>(
      database,
      "SELECT status FROM sluice._sluice_syncs WHERE connector = 'slow'",
    );
    assert.equal(entry.status, "cancelled");
  });

  await t.test(
    "a schedule fires through Temporal, shows in Sluice's history, pauses and goes with the connection",
    async () => {
      const body = {
        name: "sched",
        connector: "generator",
        options: { format: "json", value: { count: 20 } },
        destination,
        schedule: { everySeconds: 2 },
      };
      const connection = await api<{ id: number }>("POST", "/api/connections", body);
      const scheduled = await waitFor(
        async () => {
          const runs = await api<Run[]>("GET", `/api/connections/${connection.id}/runs`);
          return runs.find((r) => r.trigger === "schedule" && r.status === "succeeded");
        },
        90_000,
        "a scheduled run",
      );
      assert.equal(scheduled.records, 20);
      const describe = () =>
        temporal.cli<{ schedule: { state: { paused?: boolean } } }>(
          "schedule",
          "describe",
          "--schedule-id",
          "sluice-sched",
        );
      assert.notEqual(describe().schedule.state.paused, true);

      await api("PUT", `/api/connections/${connection.id}`, { ...body, paused: true });
      await waitFor(
        async () => (describe().schedule.state.paused === true ? true : undefined),
        30_000,
        "the schedule paused",
      );

      await waitFor(
        async () => {
          const runs = await api<Run[]>("GET", `/api/connections/${connection.id}/runs`);
          return runs.every((r) => r.status !== "running" && r.status !== "queued") ? true : undefined;
        },
        60_000,
        "the last scheduled run to end",
      );
      await api("DELETE", `/api/connections/${connection.id}`);
      await waitFor(
        async () => {
          try {
            describe();
            return undefined;
          } catch {
            return true;
          }
        },
        30_000,
        "the schedule deleted",
      );
    },
  );
});

/**
 * `sluice server --temporal` with a real Temporal dev server, a real
 * PostgreSQL and a real `sluice worker`: "run now" becomes the workflow
 * sync-<connection> run by the worker (options sealed in Temporal's history),
 * progress and outcome in Sluice's runs; a SQLite destination is refused;
 * cancelling from the API stops the connector and keeps committed pages; a
 * connection's schedule is a Temporal Schedule whose runs show in Sluice's
 * history, paused with the connection and deleted with it; a connection's
 * retry policy and timeouts reach the workflow and the Schedule (and bad
 * ones are refused); "run now" is refused, recording nothing, while the
 * connection's workflow is open (409) or Temporal is unreachable (503).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "./helpers.js";
import { createDatabase, pgQuery, pgUrl } from "./pg-helpers.js";
import { call, installGenerator, startServer, waitFor } from "./server-helpers.js";
import { TemporalDevServer, WorkerProcess } from "./temporal-helpers.js";
import { Client, Connection } from "@temporalio/client";
import { startSync } from "../src/worker/index.js";

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

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

interface ScheduledActivity {
  startToCloseTimeout: string;
  heartbeatTimeout: string;
  retryPolicy: {
    initialInterval: string;
    backoffCoefficient: number;
    maximumInterval: string;
    maximumAttempts: number;
  };
}

type HistoryEvent = {
  workflowExecutionStartedEventAttributes?: StartedAttributes;
  activityTaskScheduledEventAttributes?: ScheduledActivity;
};

/** A JSON payload as Temporal's CLI prints it. */
const payload = (data: string | undefined) => JSON.parse(Buffer.from(data ?? "", "base64").toString("utf8"));

/** A connection's own retry policy and timeouts, none of them the defaults. */
const retry = { maximumAttempts: 3, initialIntervalSeconds: 2, backoffCoefficient: 1.5, maximumIntervalSeconds: 20 };
const timeouts = { startToCloseSeconds: 900, heartbeatSeconds: 30 };

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
    "run now: a workflow on the worker with the connection's retry policy and timeouts, its outcome in Sluice's run, no plaintext options in Temporal",
    async () => {
      const connection = await create("gen", { count: 500, page_size: 50 }, { retry, timeouts });
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
      const { events } = temporal.cli<{ events: HistoryEvent[] }>("workflow", "show", "--workflow-id", "sync-gen");
      const input = payload(events[0].workflowExecutionStartedEventAttributes?.input.payloads[0].data);
      assert.equal(input.optionsSealed, true);
      assert.doesNotMatch(JSON.stringify(input), /page_size/, "the options travel sealed");
      // What Temporal applies to the attempts: the connection's settings.
      const activity = events.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
      assert.deepEqual(
        {
          startToCloseTimeout: activity?.startToCloseTimeout,
          heartbeatTimeout: activity?.heartbeatTimeout,
          retryPolicy: activity?.retryPolicy,
        },
        {
          startToCloseTimeout: "900s",
          heartbeatTimeout: "30s",
          retryPolicy: { initialInterval: "2s", backoffCoefficient: 1.5, maximumInterval: "20s", maximumAttempts: 3 },
        },
      );
    },
  );

  await t.test(
    "retry policy and timeouts that cannot work are refused with the field at fault; unset ones are the defaults",
    async () => {
      const refused = async (extra: object, field: string, message: RegExp) => {
        const body = { name: "bad", connector: "generator", options: { format: "json", value: {} }, ...extra };
        const response = await call<ErrorBody>(server.url, "POST", "/api/connections", { token, body });
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.deepEqual([response.body.error.code, response.body.error.field], ["REQUEST_INVALID", field]);
        assert.match(response.body.error.message, message);
      };
      await refused({ retry: { backoffCoefficient: 0.5 } }, "retry.backoffCoefficient", /must be >= 1/);
      await refused({ retry: { maxAttempts: 3 } }, "retry.maxAttempts", /body.retry has no field "maxAttempts"/);
      await refused(
        { retry: { initialIntervalSeconds: 600 } },
        "retry.maximumIntervalSeconds",
        /retry.maximumIntervalSeconds \(300\) is shorter than retry.initialIntervalSeconds \(600\)/,
      );
      await refused(
        { timeouts: { startToCloseSeconds: 60, heartbeatSeconds: 60 } },
        "timeouts.heartbeatSeconds",
        /not shorter than timeouts.startToCloseSeconds/,
      );
      const plain = await create("plain", { count: 1 });
      const stored = await api<{ retry: unknown; timeouts: unknown }>("GET", `/api/connections/${plain.id}`);
      assert.deepEqual([stored.retry, stored.timeouts], [null, null]);
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
        retry,
        timeouts,
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
      const action = temporal.cli<{ schedule: { action: { startWorkflow: StartedAttributes } } }>(
        "schedule",
        "describe",
        "--schedule-id",
        "sluice-sched",
      ).schedule.action.startWorkflow;
      assert.deepEqual(payload(action.input.payloads[0].data).policy, {
        ...{ maximumAttempts: 3, initialIntervalSeconds: 2, backoffCoefficient: 1.5, maximumIntervalSeconds: 20 },
        ...{ attemptTimeoutSeconds: 900, heartbeatTimeoutSeconds: 30 },
      });

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

  await t.test("run now while the connection's workflow is open elsewhere: 409, no run recorded", async () => {
    const connection = await create("busy", { count: 10 });
    // Opened as its Temporal Schedule (or another server) would, on a queue no worker polls: it stays open.
    const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
    const input = { connection: "busy", connector: "generator", options: "{}", destination };
    const open = await startSync(client, "nobody-polls", input);
    try {
      const response = await call<ErrorBody>(server.url, "POST", `/api/connections/${connection.id}/runs`, { token });
      assert.equal(response.status, 409, JSON.stringify(response.body));
      assert.equal(response.body.error.code, "SYNC_ALREADY_RUNNING");
      assert.match(response.body.error.message, /"busy" has a sync running already \(workflow sync-busy\)/);
      assert.deepEqual(await api("GET", `/api/connections/${connection.id}/runs`), []);
    } finally {
      await open.terminate();
      await client.connection.close();
    }
  });

  await t.test("run now while Temporal is unreachable: 503 naming it, no run recorded", async () => {
    const connection = await create("away", { count: 10 });
    await temporal.stop();
    const response = await call<ErrorBody>(server.url, "POST", `/api/connections/${connection.id}/runs`, { token });
    assert.equal(response.status, 503, JSON.stringify(response.body));
    assert.equal(response.body.error.code, "TEMPORAL_UNREACHABLE");
    assert.match(
      response.body.error.message,
      new RegExp(`^Temporal at ${temporal.address} cannot be reached: .*; no run was started`),
    );
    assert.deepEqual(await api("GET", `/api/connections/${connection.id}/runs`), []);
  });
});

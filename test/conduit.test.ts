/**
 * Conduit's connector protocol, with real parts: Conduit's own generator and
 * file connectors built from the Go module proxy, the upstream Go client of
 * conduit-connector-protocol, and a TypeScript connector on Sluice's SDK run
 * standalone and built-in. Pipelines: positions saved only once the records
 * are durable, resumes, lifecycle events, per-record destination errors.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { credentials, Metadata } from "@grpc/grpc-js";
import { ConnectorUtilities } from "../src/drivers/conduit/index.js";
import { SchemaServiceClient } from "../src/protocol/gen/connutils/v1/schema.js";
import { countRows, query, root, run, sluice, tempDir, until } from "./helpers.js";
import { stopAfter } from "./process-helpers.js";

const bin = join(root, "test/interop/conduit/bin");
const generator = join(bin, "conduit-connector-generator");
const file = join(bin, "conduit-connector-file");
const goHost = join(bin, "conduit-host");
const tsConnector = join(root, "examples/ts/dist/conduit/main.js");
const generatorConfig = [
  "format.type=structured",
  "format.options.id=int",
  "format.options.name=string",
  "operations=create",
].flatMap((pair) => ["--from-config", pair]);

interface Summary {
  records: number;
  acked: number;
  position?: string;
  stoppedBy: string;
  lifecycle: Record<string, string>;
  tables?: Record<string, string>;
}

async function pipeline(args: string[]): Promise<Summary & { stderr: string }> {
  const result = await sluice(["--json", "pipeline", "run", ...args], { timeoutMs: 120_000 });
  assert.equal(result.code, 0, `sluice pipeline run failed:\n${result.stderr}`);
  return { ...(JSON.parse(result.stdout) as Summary), stderr: result.stderr };
}

const lines = (path: string) =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test("Conduit's generator as a source into SQLite: every record acked, the position saved, the next run opens there; lifecycle events follow the config", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "gen.db");
  const first = await pipeline([
    "--from",
    generator,
    "--from-config",
    "recordCount=40",
    ...generatorConfig,
    "--to",
    `sqlite:${db}`,
    "--name",
    "gen",
    "--max-records",
    "40",
  ]);
  // stopped by the count, not by an idle second (which a busy machine can cause before the 40th record)
  assert.deepEqual([first.records, first.acked, first.stoppedBy, first.position], [40, 40, "max-records", "40"]);
  assert.deepEqual(first.lifecycle, { source: "created" });
  const rows = query<{ _key: string; id: number | bigint; name: string; _operation: string; _metadata: string }>(
    db,
    `SELECT * FROM ${first.tables!.records}`,
  );
  const keys = new Set(rows.map((r) => r._key));
  assert.equal(rows.length, keys.size, "upserted by key");
  assert.ok(rows.length > 20, `records keyed by random words: ${rows.length} distinct of 40`);
  assert.equal(
    typeof rows[0].name,
    "string",
    "the Avro-encoded payload is decoded with the schema the connector registered",
  );
  assert.equal(rows[0]._operation, "create");
  assert.match(JSON.parse(rows[0]._metadata)["opencdc.payload.schema.subject"], /gen:source:payload/);
  const saved = JSON.parse(
    query<{ state: string }>(db, "SELECT state FROM _sluice_state WHERE connector = 'pipeline:gen:source'")[0].state,
  );
  assert.equal(Buffer.from(saved.position, "base64").toString(), "40");

  const second = await pipeline([
    "--from",
    generator,
    "--from-config",
    "recordCount=40",
    ...generatorConfig,
    "--to",
    `sqlite:${db}`,
    "--name",
    "gen",
    "--idle-stop",
    "1",
  ]);
  assert.match(second.stderr, /opening the source at the saved position 40/);
  assert.deepEqual(second.lifecycle, { source: "unchanged" });
  const third = await pipeline([
    "--from",
    generator,
    "--from-config",
    "recordCount=5",
    ...generatorConfig,
    "--to",
    `sqlite:${db}`,
    "--name",
    "gen",
    "--idle-stop",
    "1",
  ]);
  assert.deepEqual(third.lifecycle, { source: "updated" });
});

test("OpenCDC operations into the store: create, update and snapshot upsert by key, delete deletes; a raw payload lands in _payload; --table-prefix names the table", async (t) => {
  const db = join(tempDir(t), "ops.db");
  const operations = `builtin:${join(root, "test/fixtures/conduit/operations.mjs")}`;
  const args = [
    "--from",
    operations,
    "--from-config",
    "count=0",
    "--to",
    `sqlite:${db}`,
    "--name",
    "ops",
    "--table-prefix",
    "cdc_",
  ];
  const summary = await pipeline([...args, "--max-records", "7"]);
  assert.deepEqual([summary.records, summary.acked, summary.tables?.ops], [7, 7, "cdc_ops"]);
  assert.deepEqual(query(db, "SELECT _key, id, label, _payload, _operation FROM cdc_ops ORDER BY _key"), [
    { _key: '{"id":2}', id: 2, label: "two, updated", _payload: null, _operation: "update" },
    { _key: '{"id":3}', id: 3, label: "three", _payload: null, _operation: "create" },
    { _key: '{"id":4}', id: 4, label: "four", _payload: null, _operation: "snapshot" },
    { _key: '{"id":5}', id: null, label: null, _payload: "plain text", _operation: "create" },
  ]);
});

test("describe: the specification from Specify; configs are checked against it before the connector opens", async (t) => {
  const described = await sluice(["connectors", "describe", generator]);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /^generator v0\.10\.4 by Meroxa, Inc\./);
  assert.match(described.stdout, /recordCount \(int, > -1\)/);
  assert.match(described.stdout, /format\.type \(string, one of raw,structured,file\)/);
  const json = JSON.parse((await sluice(["--json", "connectors", "describe", file])).stdout);
  assert.deepEqual(Object.keys(json.destinationParams).includes("path"), true);

  const dir = tempDir(t);
  const bad = await sluice([
    "pipeline",
    "run",
    "--from",
    generator,
    "--from-config",
    "recordCount=many",
    "--from-config",
    "format.type=json",
    "--to",
    `sqlite:${join(dir, "x.db")}`,
    "--idle-stop",
    "1",
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /the source config of "conduit-connector-generator" is not valid:\n/);
  assert.match(bad.stderr, /\n {2}"format\.type" must be one of raw, structured, file \(got "json"\)/);
  assert.match(bad.stderr, /"recordCount" must be an integer \(got "many"\)/);
  const missing = await sluice([
    "pipeline",
    "run",
    "--from",
    generator,
    ...generatorConfig,
    "--to",
    file,
    "--state-db",
    join(dir, "s.db"),
    "--idle-stop",
    "1",
  ]);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(
    missing.stderr,
    /the destination config of "conduit-connector-file" is not valid:\n {2}"path" is required/,
  );
  const refused = await sluice([
    "pipeline",
    "run",
    "--from",
    generator,
    "--from-config",
    "recordCount=3",
    "--to",
    `sqlite:${join(dir, "y.db")}`,
    "--idle-stop",
    "1",
  ]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(
    refused.stderr,
    /connector "conduit-connector-generator" failed Configure: failed to parse configuration: .*at least one collection/,
    "the connector's own refusal, named",
  );
});

test("a Sluice source (the Go example, native protocol) into Conduit's file connector: the file holds every record", async (t) => {
  const dir = tempDir(t);
  const out = join(dir, "out.jsonl");
  const summary = await pipeline([
    "--from",
    join(root, "examples/go/generator/bin/generator"),
    "--from-options",
    '{"count": 250, "page_size": 100}',
    "--to",
    file,
    "--to-config",
    `path=${out}`,
    "--state-db",
    join(dir, "state.db"),
    "--name",
    "go-to-file",
  ]);
  assert.deepEqual([summary.records, summary.acked, summary.stoppedBy], [250, 250, "source-ended"]);
  const written = lines(out);
  assert.equal(written.length, 250);
  const ids = written.map((line) => (line.payload as { after: { id: number } }).after.id).sort((a, b) => a - b);
  assert.deepEqual(
    ids,
    Array.from({ length: 250 }, (_, i) => i),
  );
  assert.deepEqual(written[0].key, { id: ids[0] }, "the stream's primary key is the record key");
  assert.equal((written[0].metadata as Record<string, string>)["opencdc.collection"], "users");
});

test("a Sluice source in a pipeline is prepared like a sync: options checked against its schema before it reads", async (t) => {
  const dir = tempDir(t);
  const out = join(dir, "out.jsonl");
  const from = ["--from", join(root, "examples/go/generator/bin/generator")];
  const bad = await sluice([
    "pipeline",
    "run",
    ...from,
    "--from-options",
    '{"count": 10, "pages": 2}',
    "--to",
    file,
    "--to-config",
    `path=${out}`,
    "--state-db",
    join(dir, "state.db"),
  ]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /pipeline "generator-to-conduit-connector-file" failed: options for connector "generator" are invalid:\n {2}- option "pages" is not known to this connector/,
  );
  assert.equal(existsSync(out), false, "the destination was never opened");

  const db = join(dir, "data.db");
  const summary = await pipeline([...from, "--from-options", '{"count": 30}', "--to", `sqlite:${db}`, "--name", "gen"]);
  assert.deepEqual([summary.records, summary.acked, summary.stoppedBy], [30, 30, "source-ended"]);
  assert.deepEqual(summary.tables, { users: "gen_users" });
  assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM gen_users")[0].n, 30);
});

test("a TypeScript Conduit connector, standalone and built-in: resumes from the saved position without duplicates", async (t) => {
  for (const from of [`node ${tsConnector}`, `builtin:${tsConnector}`]) {
    const dir = tempDir(t);
    const db = join(dir, "ts.db");
    const first = await pipeline([
      "--from",
      from,
      "--from-config",
      "count=20",
      "--from-config",
      "batch=3",
      "--to",
      `sqlite:${db}`,
      "--name",
      "seq",
      "--max-records",
      "20",
    ]);
    assert.deepEqual([first.records, first.position], [20, "20"], from);
    const second = await pipeline([
      "--from",
      from,
      "--from-config",
      "count=35",
      "--from-config",
      "batch=3",
      "--to",
      `sqlite:${db}`,
      "--name",
      "seq",
      "--max-records",
      "15",
    ]);
    assert.deepEqual([second.records, second.position, second.lifecycle.source], [15, "35", "updated"], from);
    const ids = query<{ id: number }>(db, "SELECT id FROM seq_sequence ORDER BY id").map((r) => r.id);
    assert.deepEqual(
      ids,
      Array.from({ length: 35 }, (_, i) => i + 1),
      from,
    );
  }
});

test("the TypeScript example source idles without piling up abort listeners (no MaxListenersExceededWarning)", async (t) => {
  const db = join(tempDir(t), "idle.db");
  // Caught up after 2 records, it polls every 100 ms until the 2 s idle stop: ~20 waits on the same signal.
  const idle = await pipeline([
    ...["--from", `builtin:${tsConnector}`, "--from-config", "count=2", "--to", `sqlite:${db}`],
    ...["--name", "idle", "--idle-stop", "2"],
  ]);
  assert.equal(idle.stoppedBy, "idle");
  assert.doesNotMatch(idle.stderr, /MaxListenersExceededWarning/);
});

test("Conduit source into a Conduit destination: a rejected record fails the pipeline; the position stays before it", async (t) => {
  const dir = tempDir(t);
  const out = join(dir, "out.jsonl");
  const state = join(dir, "state.db");
  const args = [
    "--from",
    `builtin:${tsConnector}`,
    "--from-config",
    "count=12",
    "--from-config",
    "batch=4",
    "--to",
    `node ${tsConnector}`,
    "--to-config",
    `path=${out}`,
    "--state-db",
    state,
    "--name",
    "p",
  ];
  // stops by the failure, or by the count: never by an idle moment a busy machine can cause
  const failed = await sluice(["pipeline", "run", ...args, "--max-records", "12", "--from-config", "rejectAt=6"]);
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /destination "conduit" failed the record at position 6: record 6 asked to be rejected\n4 record\(s\) acked before the failure are kept/,
  );
  const saved = JSON.parse(
    query<{ state: string }>(state, "SELECT state FROM _sluice_state WHERE connector = 'pipeline:p:source'")[0].state,
  );
  assert.equal(
    Buffer.from(saved.position, "base64").toString(),
    "4",
    "only the batch the destination fully acked counts",
  );
  const resumed = await pipeline([...args, "--max-records", "8"]);
  assert.deepEqual([resumed.records, resumed.position], [8, "12"]);
  const ids = lines(out).map((line) => (line.payload as { id: number }).id);
  assert.deepEqual(
    [...new Set(ids)].sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i + 1),
    "nothing lost: at least once, as Conduit delivers",
  );
});

test("the upstream Go client of conduit-connector-protocol drives the TypeScript connector: specify, configure, open, run with acks, stop, teardown", async (t) => {
  const dir = tempDir(t);
  const wrapper = join(dir, "connector.sh");
  writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${tsConnector}\n`);
  chmodSync(wrapper, 0o755);
  const out = join(dir, "out.jsonl");
  const result = await run(goHost, [
    "-plugin",
    wrapper,
    "-records",
    "25",
    "-source-config",
    "count=25",
    "-source-config",
    "batch=4",
    "-dest-config",
    `path=${out}`,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.name, "sluice-example");
  assert.equal(report.protocolVersion, 2);
  assert.deepEqual(report.sourceParams.sort(), ["batch", "count", "label", "rejectAt"]);
  assert.deepEqual([report.received, report.acked, report.lastPosition], [25, 25, "25"]);
  assert.equal(report.payloads[0], '{"id":1,"label":"item 1"}');
  assert.deepEqual([report.written, report.destinationAcked, report.destinationAckErrors], [25, 25, null]);
  assert.ok(existsSync(out));
  assert.equal(lines(out).length, 25);
});

test("Ctrl-C stops a pipeline cleanly: Stop, drain to the last position, Teardown, and the position saved", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "c.db");
  const child = spawn(
    process.execPath,
    [
      join(root, "bin/sluice.js"),
      "--json",
      "pipeline",
      "run",
      "--from",
      generator,
      "--from-config",
      "recordCount=0",
      "--from-config",
      "rate=500",
      ...generatorConfig,
      "--to",
      `sqlite:${db}`,
      "--name",
      "endless",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  stopAfter(t, child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  // Interrupt once records are flowing (the table fills as they are written), however long start-up took.
  await until(() => countRows(db, "endless_records") > 100, "records in endless_records");
  child.kill("SIGINT");
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, stderr);
  const summary = JSON.parse(stdout) as Summary;
  assert.equal(summary.stoppedBy, "signal");
  assert.ok(summary.records > 100, `records arrived before the stop (${summary.records})`);
  assert.equal(summary.acked, summary.records, "every record received was written and acked");
  assert.equal(summary.position, String(summary.records));
  const saved = JSON.parse(
    query<{ state: string }>(db, "SELECT state FROM _sluice_state WHERE connector = 'pipeline:endless:source'")[0]
      .state,
  );
  assert.equal(Buffer.from(saved.position, "base64").toString(), String(summary.records));
});

test("protocol version 1: a connector serving only connector.v1 (Start, one record per message) works both ways, and the upstream Go client agrees", async (t) => {
  const dir = tempDir(t);
  const v1Only = join(root, "test/fixtures/conduit/v1-only.mjs");
  const described = await sluice(["--json", "connectors", "describe", `node ${v1Only}`]);
  assert.equal(described.code, 0, described.stderr);
  assert.deepEqual(JSON.parse(described.stdout).sourceParams.count.validations, [
    { type: 1, value: "" },
    { type: 2, value: "-1" },
  ]);

  const db = join(dir, "v1.db");
  const read = await pipeline([
    "--from",
    `node ${v1Only}`,
    "--from-config",
    "count=9",
    "--from-config",
    "batch=4",
    "--to",
    `sqlite:${db}`,
    "--name",
    "v1",
    "--max-records",
    "9",
  ]);
  assert.deepEqual([read.records, read.acked, read.position], [9, 9, "9"]);
  assert.deepEqual(
    query<{ id: number }>(db, "SELECT id FROM v1_sequence ORDER BY id").map((r) => r.id),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );

  const out = join(dir, "v1.jsonl");
  const written = await pipeline([
    "--from",
    `builtin:${tsConnector}`,
    "--from-config",
    "count=6",
    "--to",
    `node ${v1Only}`,
    "--to-config",
    `path=${out}`,
    "--state-db",
    join(dir, "s.db"),
    "--max-records",
    "6",
  ]);
  assert.deepEqual([written.records, written.acked], [6, 6]);
  assert.equal(lines(out).length, 6);

  const wrapper = join(dir, "v1.sh");
  writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${v1Only}\n`);
  chmodSync(wrapper, 0o755);
  const hostOut = join(dir, "host.jsonl");
  const result = await run(goHost, [
    "-plugin",
    wrapper,
    "-records",
    "7",
    "-source-config",
    "count=7",
    "-dest-config",
    `path=${hostOut}`,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(
    [report.protocolVersion, report.received, report.acked, report.lastPosition, report.destinationAcked],
    [1, 7, 7, "7", 7],
  );
  assert.equal(lines(hostOut).length, 7);
});

test("connector utilities: the schema registry answers only calls carrying a token it issued", async () => {
  const utilities = await ConnectorUtilities.start();
  const client = new SchemaServiceClient(utilities.target, credentials.createInsecure());
  const call = <T>(method: "createSchema" | "getSchema", request: object, token?: string) =>
    new Promise<T>((resolve, reject) => {
      const metadata = new Metadata();
      if (token) metadata.set("conduit-connector-token", token);
      (client[method] as (r: object, m: Metadata, cb: (e: Error | null, v: T) => void) => void)(
        request,
        metadata,
        (error, value) => (error ? reject(error) : resolve(value)),
      );
    });
  try {
    const env = utilities.environmentFor("p:source");
    assert.equal(env.CONDUIT_CONNECTOR_UTILITIES_GRPC_TARGET, utilities.target);
    assert.equal(JSON.parse(env.CONDUIT_CONNECTOR_TOKEN).connector_id, "p:source");
    await assert.rejects(call("createSchema", { subject: "s", type: 1, bytes: Buffer.from("{}") }), /UNAUTHENTICATED/);
    await assert.rejects(
      call("createSchema", { subject: "s", type: 1, bytes: Buffer.from("{}") }, "forged"),
      /UNAUTHENTICATED/,
    );
    const created = await call<{ schema: { version: number; id: number } }>(
      "createSchema",
      { subject: "s", type: 1, bytes: Buffer.from('"string"') },
      env.CONDUIT_CONNECTOR_TOKEN,
    );
    assert.equal(created.schema.version, 1);
    const again = await call<{ schema: { version: number; id: number } }>(
      "createSchema",
      { subject: "s", type: 1, bytes: Buffer.from('"string"') },
      env.CONDUIT_CONNECTOR_TOKEN,
    );
    assert.deepEqual(again.schema, created.schema, "the same schema registered twice is the same version");
    const fetched = await call<{ schema: { bytes: Buffer } }>(
      "getSchema",
      { subject: "s", version: 1 },
      env.CONDUIT_CONNECTOR_TOKEN,
    );
    assert.equal(fetched.schema.bytes.toString(), '"string"');
    await assert.rejects(call("getSchema", { subject: "s", version: 2 }, env.CONDUIT_CONNECTOR_TOKEN), /NOT_FOUND/);
  } finally {
    client.close();
    await utilities.close();
  }
});

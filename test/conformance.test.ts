/**
 * `sluice test`: the conformance suite passes on every example connector in
 * the repository and on the upstream connectors the tests build (Conduit's
 * generator and file connectors, airbyte-source-faker), and fails, naming
 * the check, on purpose-built flawed connectors (test/fixtures/conformance).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { examples, gitRepo, root, run, sluice, tempDir } from "./helpers.js";
import { installOk, useTempHome, writeManifest, writePackagesConnector } from "./registry-helpers.js";

interface Report {
  connector: string;
  protocol: string;
  passed: number;
  failed: number;
  skipped: number;
  checks: { id: string; status: "passed" | "failed" | "skipped"; reason: string; details?: string[] }[];
}

const fixtures = join(root, "test/fixtures/conformance");
const conduitBin = join(root, "test/interop/conduit/bin");
const faker = join(root, ".venv-airbyte/bin/source-faker");
const TIMEOUT_MS = 600_000;

async function conformance(args: string[]): Promise<{ code: number | null; report: Report; stdout: string }> {
  const result = await sluice(["--json", "test", ...args], { timeoutMs: TIMEOUT_MS });
  assert.ok(result.stdout.trim(), `sluice test printed no report:\n${result.stderr}`);
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stdout: result.stdout };
}

/** Passes: exit 0, no failed check, and the checks that must have run did. */
async function passes(args: string[], mustPass: string[]): Promise<Report> {
  const { code, report } = await conformance(args);
  const failures = report.checks.filter((check) => check.status === "failed");
  assert.deepEqual(failures, [], `failed checks for ${args.join(" ")}`);
  assert.equal(code, 0);
  for (const id of mustPass)
    assert.equal(report.checks.find((check) => check.id === id)?.status, "passed", `${id} passed`);
  return report;
}

/** Fails naming `id`; every other check keeps its own verdict. */
async function failsOn(args: string[], id: string, reason: RegExp): Promise<Report> {
  const { code, report } = await conformance(args);
  assert.equal(code, 1);
  const check = report.checks.find((c) => c.id === id);
  assert.equal(check?.status, "failed", `${id} should fail: ${JSON.stringify(report.checks, null, 2)}`);
  assert.match([check.reason, ...(check.details ?? [])].join("\n"), reason);
  return report;
}

const ALL_SOURCE_CHECKS = ["start", "records-match-schemas", "graceful-stop", "stdout-clean"];

test("native and c1-core examples in Go, TypeScript and Python pass", async (t) => {
  const folder = tempDir(t);
  for (const n of [1, 2, 3]) writeFileSync(join(folder, `f${n}.txt`), String(n));
  const generator = await passes(
    ["--command", examples.goGenerator, "--options", '{"count": 300, "page_size": 100}'],
    [...ALL_SOURCE_CHECKS, "option-schema", "invalid-config", "discover", "page-sizes", "incremental"],
  );
  assert.equal(generator.protocol, "sluice");
  const files = await passes(
    ["--command", examples.goFiles, "--options", JSON.stringify({ root: folder })],
    ALL_SOURCE_CHECKS,
  );
  assert.equal(files.protocol, "c1", "detected: the connector does not implement sluice.v1");
  await passes(
    ["--command", examples.tsPackages, "--options", JSON.stringify({ root })],
    [...ALL_SOURCE_CHECKS, "discover"],
  );
  await passes(
    ["--command", examples.tsC1Packages, "--protocol", "c1", "--options", JSON.stringify({ root })],
    ["start"],
  );
  await passes(
    ["--command", examples.pythonGitlog, "--options", JSON.stringify({ repo: gitRepo(join(tempDir(t), "repo"), 3) })],
    [...ALL_SOURCE_CHECKS, "incremental"],
  );
});

test("an installed connector is tested by name, opened by the protocol recorded at install", async (t) => {
  useTempHome(t);
  const dir = join(tempDir(t), "pkgs");
  writePackagesConnector(dir, ["left-pad", "right-pad"]);
  const manifest = writeManifest(dir, { name: "pkgs", source: "Local", uri: dir, command: "./connector.sh" });
  await installOk(manifest);
  const report = await passes(["pkgs"], [...ALL_SOURCE_CHECKS, "discover"]);
  assert.equal(report.connector, "pkgs");
  assert.equal(report.protocol, "sluice");
  const notInstalled = await sluice(["test", "nothing-here", "--protocol", "airbyte"]);
  assert.equal(notInstalled.code, 1);
  assert.match(notInstalled.stderr, /no connector "nothing-here" is installed: give --command/);
});

test("Conduit: the TypeScript example and Conduit's own generator and file connectors pass", async (t) => {
  const dir = tempDir(t);
  await passes(
    [
      "--command",
      `node ${join(root, "examples/ts/dist/conduit/main.js")}`,
      "--protocol",
      "conduit",
      "--config",
      "count=40",
      "--destination-config",
      `path=${join(dir, "ts.jsonl")}`,
    ],
    [
      "start",
      "option-schema",
      "invalid-config",
      "records-well-formed",
      "source-acks-resume",
      "destination-acks",
      "graceful-stop",
    ],
  );
  await passes(
    [
      "--command",
      join(conduitBin, "conduit-connector-generator"),
      "--protocol",
      "conduit",
      ...["recordCount=40", "format.type=structured", "format.options.id=int", "operations=create"].flatMap((pair) => [
        "--config",
        pair,
      ]),
    ],
    ["start", "option-schema", "invalid-config", "records-well-formed", "graceful-stop"],
  );
  const input = join(dir, "in.txt");
  writeFileSync(input, Array.from({ length: 20 }, (_, n) => `line ${n + 1}`).join("\n") + "\n");
  const out = join(dir, "out.txt");
  await passes(
    [
      "--command",
      join(conduitBin, "conduit-connector-file"),
      "--protocol",
      "conduit",
      "--config",
      `path=${input}`,
      "--destination-config",
      `path=${out}`,
    ],
    ["start", "records-well-formed", "source-acks-resume", "destination-acks", "graceful-stop"],
  );
  assert.equal(readFileSync(out, "utf8").trim().split("\n").length, 10, "the destination check wrote its records");
});

test("Airbyte, Singer and Code Climate connectors pass", async (t) => {
  const dir = tempDir(t);
  await passes(
    [
      "--command",
      faker,
      "--protocol",
      "airbyte",
      "--options",
      '{"count": 50, "seed": 1, "parallelism": 1, "always_updated": false}',
    ],
    [...ALL_SOURCE_CHECKS, "option-schema", "invalid-config", "discover", "incremental"],
  );
  await passes(
    [
      "--command",
      `node ${join(root, "test/fixtures/singer/tap-scripted.mjs")}`,
      "--protocol",
      "singer",
      "--options",
      '{"users": 20}',
    ],
    [...ALL_SOURCE_CHECKS, "discover"],
  );
  const repo = join(dir, "repo");
  const dated = { ...process.env, GIT_AUTHOR_DATE: "2025-06-01T12:00:00Z", GIT_COMMITTER_DATE: "2025-06-01T12:00:00Z" };
  await run("git", ["init", "-q", repo]);
  await run(
    "git",
    [
      "-C",
      repo,
      "-c",
      "user.name=Ann",
      "-c",
      "user.email=ann@example.com",
      "commit",
      "-q",
      "--allow-empty",
      "-m",
      "one",
    ],
    { env: dated },
  );
  await passes(
    [
      join(root, "examples/ts/dist/codeclimate-git/main.js"),
      "--protocol",
      "codeclimate",
      "--options",
      JSON.stringify({ repositories: [repo] }),
      "--lookback-days",
      "3650",
    ],
    ["start", "invalid-config", "discover", "records-match-schemas", "incremental", "graceful-stop"],
  );
});

test("flawed connectors fail, naming the check; the control passes", async (t) => {
  const flawed = (flaw: string) => ["--command", `node ${join(fixtures, "flawed-native.mjs")} ${flaw}`];
  await passes(flawed("none"), [
    ...ALL_SOURCE_CHECKS,
    "option-schema",
    "invalid-config",
    "discover",
    "page-sizes",
    "incremental",
  ]);
  await failsOn(flawed("stdout-noise"), "stdout-clean", /"reading items now!"/);
  await failsOn(flawed("invalid-schema"), "discover", /stream "items": schema \/type/);
  await failsOn(
    flawed("record-breaks-schema"),
    "records-match-schemas",
    /stream "items", record 7: \/id: must be integer/,
  );
  await failsOn(flawed("deaf-to-stop"), "graceful-stop", /only SIGKILL stopped it/);

  const junit = join(tempDir(t), "report.xml");
  const text = await sluice(["test", ...flawed("record-breaks-schema"), "--junit", junit], { timeoutMs: TIMEOUT_MS });
  assert.equal(text.code, 1);
  assert.match(
    text.stdout,
    /✖ every record read matches its stream's schema: 1 of 30 record\(s\) break their stream's schema/,
  );
  assert.match(text.stdout, /FAILED: records-match-schemas\n$/);
  const xml = readFileSync(junit, "utf8");
  assert.match(xml, /<testsuite name="flawed-native" tests="\d+" failures="1"/);
  assert.match(
    xml,
    /<failure message="1 of 30 record\(s\) break their stream&apos;s schema|<failure message="1 of 30 record\(s\) break their stream's schema/,
  );

  const conduit = (flaw: string) => [
    "--command",
    `node ${join(fixtures, "flawed-conduit.mjs")} ${flaw}`,
    "--protocol",
    "conduit",
    "--config",
    "count=30",
    "--destination-config",
    `path=${join(tempDir(t), `${flaw}.jsonl`)}`,
  ];
  await failsOn(conduit("source-acks-out-of-order"), "source-acks-resume", /out of order/);
  await failsOn(
    conduit("destination-acks-out-of-order"),
    "destination-acks",
    /acks must come in the order records were sent/,
  );
});

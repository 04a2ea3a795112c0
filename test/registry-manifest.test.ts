/** Manifests: the seed's own example, schema errors naming the field, warnings, and nothing run without --yes. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Ajv } from "ajv";
import { root, sluice, tempDir } from "./helpers.js";
import { useTempHome, writeManifest } from "./registry-helpers.js";

const seedFile = join(root, "test/fixtures/registry/seed-manifest.json");

test("the seed's example manifest: its missing comma is reported at line 4, column 3; with the comma its fields are accepted", async (t) => {
  useTempHome(t);
  const broken = await sluice(["connectors", "install", seedFile, "--dry-run"]);
  assert.equal(broken.code, 1);
  assert.match(
    broken.stderr,
    /seed-manifest\.json is invalid: not valid JSON at line 4, column 3: Expected ',' or '}' after property value \(is a comma missing/,
  );
  assert.match(broken.stderr, /\n {6}"source": "VCS",\n {6}\^/);

  const fixed = readFileSync(seedFile, "utf8").replace(
    '"A simple connector for S3"\n',
    '"A simple connector for S3",\n',
  );
  const dir = tempDir(t);
  const file = join(dir, "s3.json");
  writeFileSync(file, fixed);
  const plan = await sluice(["connectors", "install", file, "--dry-run"]);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stderr, /Install connector "s3" — A simple connector for S3/);
  assert.match(plan.stderr, /1\. git clone -- https:\/\/github\.com\/pidanou\/c1-core /);
  assert.match(plan.stderr, /2\. install_command: sh -c "go build -o s3 pkg\/connector\/s3\/s3\.go && chmod \+x s3"/);
  assert.match(plan.stderr, /runs on `sluice sync s3`: sh -c "\.\/s3\/s3"/);
  assert.match(plan.stdout, /dry run: nothing was fetched or run/);
  // The empty update_command means "the default" (git pull), not a command that does nothing.
  const json = await sluice(["--json", "connectors", "install", file, "--dry-run", "--name", "s3-copy"]);
  assert.equal(json.code, 0, json.stderr);
  const summary = JSON.parse(json.stdout) as { name: string; steps: string[] };
  assert.equal(summary.name, "s3-copy");
  assert.equal(summary.steps.length, 2);
});

test("schema errors name the field and what was expected", async (t) => {
  useTempHome(t);
  const dir = tempDir(t);
  const base = { name: "x", source: "Local", uri: ".", command: "./run" };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...base, command: undefined }, /"command" is required: Shell command that starts the connector/],
    [{ ...base, source: "FTP" }, /"source": expected one of "HTTP", "VCS", "Local", got string "FTP"/],
    [{ ...base, source: "vcs" }, /"source": .*got string "vcs" \(did you mean "VCS"\? the value is case-sensitive\)/],
    [
      { ...base, source: "HTTP", uri: "ftp://example.com/x.tgz" },
      /"uri": expected an http:\/\/ or https:\/\/ URL \(source is "HTTP"\), got string "ftp:/,
    ],
    [
      { ...base, source: "HTTP", uri: "https://exa mple.com/x.tgz" },
      /"uri": expected an http:\/\/ or https:\/\/ URL \(source is "HTTP"\), got "https:\/\/exa mple\.com\/x\.tgz", which is not a valid URL/,
    ],
    [
      { ...base, source: "VCS", uri: "--upload-pack=touch /tmp/pwned" },
      /"uri": expected a git repository URL or path, got .* which starts with "-"/,
    ],
    [{ ...base, name: "../evil" }, /"name": expected a name of letters, digits/],
    [{ ...base, name: 3 }, /"name": expected a string, got number 3/],
    [{ ...base, sha256: "abc" }, /"sha256": expected 64 hexadecimal digits/],
  ];
  for (const [manifest, expected] of cases) {
    const file = writeManifest(dir, manifest);
    const result = await sluice(["connectors", "install", file, "--dry-run"]);
    assert.equal(result.code, 1, JSON.stringify(manifest));
    assert.match(result.stderr, expected);
  }
  const many = writeManifest(dir, { description: 7 });
  const result = await sluice(["--json", "connectors", "install", many, "--dry-run"]);
  assert.equal(result.code, 1, result.stderr);
  const error = JSON.parse(result.stderr.trim().split("\n").pop() ?? "{}") as { code: string; message: string };
  assert.equal(error.code, "MANIFEST_INVALID");
  for (const field of ["name", "source", "uri", "command"])
    assert.match(error.message, new RegExp(`"${field}" is required`));
  assert.match(error.message, /"description": expected a string, got number 7/);
  const notObject = writeManifest(dir, ["x"] as unknown as Record<string, unknown>);
  assert.match(
    (await sluice(["connectors", "install", notObject, "--dry-run"])).stderr,
    /expected a JSON object with the fields name, description, source/,
  );
  assert.match(
    (await sluice(["connectors", "install", join(dir, "absent.json"), "--dry-run"])).stderr,
    /absent\.json is invalid: cannot be read: ENOENT/,
  );
  assert.match(
    (await sluice(["connectors", "install", writeManifest(dir, base), "--dry-run", "--name", "a b"])).stderr,
    /--name: expected a name of letters/,
  );
});

test("unknown fields warn (with a guess) and are ignored; the stored manifest keeps only known fields", async (t) => {
  useTempHome(t);
  const dir = tempDir(t);
  const file = writeManifest(dir, {
    name: "w",
    source: "Local",
    uri: ".",
    command: "true",
    install_comand: "make",
    colour: "blue",
  });
  const result = await sluice(["connectors", "install", file, "--dry-run"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /unknown field "install_comand" is ignored \(did you mean "install_command"\?\)/);
  assert.match(result.stderr, /unknown field "colour" is ignored; known fields: name, description, source, uri/);
  assert.doesNotMatch(result.stderr, /install_command: sh/);
  assert.match(
    result.stderr,
    new RegExp(`copy ${dir} to `),
    "a relative Local uri is relative to the manifest's folder",
  );
});

test("nothing runs without consent: no terminal and no --yes is refused before anything is fetched", async (t) => {
  const home = useTempHome(t);
  const dir = tempDir(t);
  const marker = join(dir, "ran");
  const file = writeManifest(dir, {
    name: "careful",
    source: "Local",
    uri: ".",
    install_command: `touch ${marker}`,
    command: "true",
  });
  const result = await sluice(["connectors", "install", file]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /install_command: sh -c "touch /);
  assert.match(result.stderr, /there is no terminal to ask on, so pass --yes to confirm \(nothing was done\)/);
  assert.throws(() => readFileSync(marker));
  assert.match((await sluice(["connectors", "list"])).stdout, new RegExp(`no connectors installed in ${home}`));
});

test("the published schema is a valid JSON Schema that accepts the seed's fields", () => {
  const schema = JSON.parse(readFileSync(join(root, "schemas/manifest.schema.json"), "utf8")) as object;
  const ajv = new Ajv({ strict: false });
  const validate = ajv.compile(schema);
  const seedFields = {
    name: "s3",
    description: "A simple connector for S3",
    source: "VCS",
    uri: "https://github.com/pidanou/c1-core",
    install_command: "go build",
    update_command: "",
    command: "./s3/s3",
  };
  assert.equal(validate(seedFields), true, JSON.stringify(validate.errors));
  assert.equal(validate({ ...seedFields, source: "HTTP" }), true);
  assert.equal(validate({ ...seedFields, source: "HTTP", uri: "git@github.com:x/y" }), false);
});

/** Anything a terminal would act on rather than show: C0 and C1 controls, DEL, and bidirectional overrides. */
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

test("manifest text reaches the terminal inert: escape codes in the description, field names and commands are shown, not obeyed", async (t) => {
  useTempHome(t);
  const dir = tempDir(t);
  const clearScreen = "\u001b[2J\u001b[H";
  const file = writeManifest(dir, {
    name: "sly",
    description: `harmless${clearScreen}\rInstall connector "sly"\n  will run nothing`,
    source: "Local",
    uri: ".",
    install_command: "echo fetched \u009b8m\u202e",
    command: "true",
    "x\u001b]0;title\u0007": 1,
  });
  for (const args of [["--dry-run"], []]) {
    const result = await sluice(["connectors", "install", file, ...args]);
    assert.doesNotMatch(result.stderr, TERMINAL_CONTROLS, `install ${args.join(" ")} printed a control character`);
    assert.match(result.stderr, /harmless\\u001b\[2J\\u001b\[H\\rInstall connector "sly"\\n {2}will run nothing/);
    assert.match(result.stderr, /unknown field "x\\u001b\]0;title\\u0007" is ignored/);
    assert.match(result.stderr, /install_command: sh -c "echo fetched \\u009b8m\\u202e"/);
  }
  const installed = await sluice(["connectors", "install", file, "--yes"]);
  assert.equal(installed.code, 0, installed.stderr);
  for (const args of [["show", "sly"], ["list"]]) {
    const shown = await sluice(["connectors", ...args]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.doesNotMatch(shown.stdout, TERMINAL_CONTROLS, `connectors ${args[0]} printed a control character`);
  }
});

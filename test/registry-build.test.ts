/**
 * Connectors that must be built when installed, with the real toolchains: a
 * Go connector (the Go examples, `go build` on the Go SDK and
 * hashicorp/go-plugin) and a Python one (a venv, its requirements from PyPI
 * with pip, the Python SDK). Each is then synced by name into SQLite.
 * The slow tests of the registry: one install each.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { query, root, sluice, tempDir } from "./helpers.js";
import { installOk, useTempHome, writeManifest } from "./registry-helpers.js";

test("Go: install_command `go build` builds a native connector in its install folder; sync runs the binary", async (t) => {
  useTempHome(t);
  // examples/go points at the SDK with a relative `replace`; the copy points at it by its absolute path.
  const manifest = writeManifest(tempDir(t), {
    name: "gen",
    description: "the Go generator example, built from source",
    source: "Local",
    uri: join(root, "examples/go"),
    install_command: `go mod edit -replace=github.com/sluice-dev/sluice/sdk/go=${join(root, "sdk/go")} && go build -o connector ./generator`,
    command: "./connector",
  });
  const installed = await installOk(manifest);
  assert.match(
    readFileSync(installed.log, "utf8"),
    /==> go mod edit .* && go build -o connector \.\/generator {4}\(install_command, in /,
  );

  const db = join(tempDir(t), "data.db");
  const result = await sluice([
    "--json",
    "sync",
    "gen",
    "--options",
    JSON.stringify({ count: 250, page_size: 100 }),
    "--db",
    db,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as { protocol: string; inserted: number; pages: number };
  assert.deepEqual([summary.protocol, summary.inserted, summary.pages], ["sluice", 250, 3]);
  assert.deepEqual(query(db, "SELECT id, email FROM gen_users WHERE id = 7"), [{ id: 7, email: "user7@example.com" }]);
});

test("Python: install_command makes a venv and pip-installs the connector's requirements; sync runs it", async (t) => {
  useTempHome(t);
  const source = join(root, "test/fixtures/registry/python-connector");
  const sdkPins = readFileSync(join(root, "sdk/python/requirements.txt"), "utf8");
  for (const pin of readFileSync(join(source, "requirements.txt"), "utf8").match(/^\S+==\S+$/gm) ?? []) {
    assert.ok(
      sdkPins.includes(pin),
      `${pin} of the fixture's requirements.txt is not pinned so in sdk/python/requirements.txt: make them agree`,
    );
  }
  const linkSdk = `import sys, sysconfig; open(sysconfig.get_paths()['purelib'] + '/sluice_sdk.pth', 'w').write(sys.argv[1])`;
  const manifest = writeManifest(tempDir(t), {
    name: "squares",
    source: "Local",
    uri: source,
    install_command: `python3 -m venv .venv && .venv/bin/pip install --disable-pip-version-check -r requirements.txt && .venv/bin/python -c "${linkSdk}" ${join(root, "sdk/python")}`,
    command: ".venv/bin/python main.py",
  });
  const installed = await installOk(manifest);
  assert.match(
    readFileSync(installed.log, "utf8"),
    /Successfully installed .*grpcio-1\.85\.1|Requirement already satisfied: grpcio==1\.85\.1/,
  );

  const db = join(tempDir(t), "data.db");
  const result = await sluice(["--json", "sync", "squares", "--options", JSON.stringify({ count: 12 }), "--db", db]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal((JSON.parse(result.stdout) as { inserted: number }).inserted, 12);
  assert.deepEqual(query(db, "SELECT n, square FROM squares_squares WHERE n = 12"), [{ n: 12, square: 144 }]);
  const spec = await sluice(["--json", "spec", "squares"]);
  assert.equal(JSON.parse(spec.stdout).name, "squares", "spec <name> runs the installed connector too");
});

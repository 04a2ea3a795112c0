/**
 * Local installs, end to end through the CLI: install, sync by name, one
 * manifest under two names, list / show / remove, a failing update that
 * leaves the running installation alone, and the timeout.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { sluice, tempDir } from "./helpers.js";
import {
  addPackage,
  install,
  installOk,
  listInstalled,
  syncPackages,
  useTempHome,
  writeManifest,
  writePackagesConnector,
} from "./registry-helpers.js";

test("Local: install, sync by name, the same manifest under a second name, list, show, remove", async (t) => {
  const home = useTempHome(t);
  const source = join(tempDir(t), "packages-connector");
  writePackagesConnector(source, ["alpha", "beta"]);
  const manifest = writeManifest(source, {
    name: "pkgs",
    description: "npm packages, installed from a folder",
    source: "Local",
    uri: ".",
    install_command: "echo built > BUILT",
    command: "./connector.sh",
  });
  const db = join(tempDir(t), "data.db");

  const first = await installOk(manifest);
  assert.equal(first.name, "pkgs");
  assert.ok(first.folder.startsWith(join(home, "connectors", "pkgs", "releases")));
  assert.equal(readFileSync(join(first.folder, "BUILT"), "utf8"), "built\n", "install_command ran in the copy");
  assert.equal(existsSync(join(source, "BUILT")), false, "the user's folder is left alone");
  assert.deepEqual(await syncPackages("pkgs", db), ["alpha", "beta"]);

  const again = await install(manifest);
  assert.equal(again.code, 1);
  assert.match(
    again.stderr,
    /connector "pkgs" is already installed \(from Local .*\); update it with `sluice connectors update pkgs`, install this one under another name with --name/,
  );

  const second = await installOk(manifest, "--name", "pkgs-copy");
  assert.notEqual(second.folder, first.folder);
  assert.deepEqual(await syncPackages("pkgs-copy", db), ["alpha", "beta"]);

  const listed = await listInstalled();
  assert.deepEqual(
    listed.map((i) => [i.name, i.status, i.manifest.source]),
    [
      ["pkgs", "installed", "Local"],
      ["pkgs-copy", "installed", "Local"],
    ],
  );
  const table = await sluice(["connectors", "list"]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^NAME\s+SOURCE\s+VERSION\s+INSTALLED AT\s+STATUS\n/);
  assert.match(table.stdout, new RegExp(`pkgs-copy\\s+Local ${source}\\s+-\\s+\\S+\\s+installed`));

  const show = await sluice(["connectors", "show", "pkgs"]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /pkgs — npm packages, installed from a folder/);
  assert.match(show.stdout, new RegExp(`folder: +${first.folder}`));
  assert.match(show.stdout, /"install_command": "echo built > BUILT"/);
  assert.match(show.stdout, /last log: .*-install\.log/);
  assert.match(show.stdout, /==> echo built > BUILT {4}\(install_command, in /);

  const removed = await sluice(["connectors", "remove", "pkgs"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(existsSync(join(home, "connectors", "pkgs")), false, "the folder is gone");
  assert.deepEqual(
    (await listInstalled()).map((i) => i.name),
    ["pkgs-copy"],
  );
  const gone = await sluice(["sync", "pkgs", "--db", db]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /no connector named "pkgs" is installed in .* \(installed: pkgs-copy\)/);
  assert.match((await sluice(["connectors", "remove", "pkgs"])).stderr, /no connector named "pkgs" is installed/);
  assert.deepEqual(await syncPackages("pkgs-copy", db), ["alpha", "beta"], "the other name is untouched");
});

test("Local: a failing update names the command, its exit code and output, and the previous installation still runs", async (t) => {
  useTempHome(t);
  const source = join(tempDir(t), "src");
  writePackagesConnector(source, ["alpha"]);
  writeFileSync(join(source, "build.sh"), "echo compiling\n");
  const manifest = writeManifest(source, {
    name: "flaky",
    source: "Local",
    uri: ".",
    install_command: "sh build.sh",
    command: "./connector.sh",
  });
  const db = join(tempDir(t), "data.db");
  const installed = await installOk(manifest);
  assert.deepEqual(await syncPackages("flaky", db), ["alpha"]);

  addPackage(source, "beta");
  writeFileSync(join(source, "build.sh"), "echo compiling\necho 'error: missing semicolon on line 3' >&2\nexit 3\n");
  const update = await sluice(["connectors", "update", "flaky", "--yes"]);
  assert.equal(update.code, 1);
  assert.match(
    update.stderr,
    /update of "flaky" failed: install_command `sh build\.sh` exited with code 3 \(in .*\); the last lines of its output:\n {4}\| compiling\n {4}\| error: missing semicolon on line 3\n"flaky" still runs the installation it had; the full log is .*-update\.log/,
  );
  assert.deepEqual(await syncPackages("flaky", db), ["alpha"], "the previous release still runs");
  const [entry] = await listInstalled();
  assert.equal(entry.status, "update failed");
  assert.equal(entry.folder, installed.folder);
  assert.match((await sluice(["connectors", "list"])).stdout, /installed; the last update failed/);

  writeFileSync(join(source, "build.sh"), "echo fixed\n");
  const fixed = await sluice(["--json", "connectors", "update", "flaky", "--yes"]);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.deepEqual(await syncPackages("flaky", db), ["alpha", "beta"], "update copies the folder afresh");
  assert.equal(existsSync(installed.folder), false, "the replaced release is deleted");
  assert.equal((await listInstalled())[0].status, "installed");
});

test("Local: an install command that outlives --timeout is stopped, and nothing is installed", async (t) => {
  useTempHome(t);
  const source = join(tempDir(t), "slow");
  writePackagesConnector(source, []);
  const manifest = writeManifest(source, {
    name: "slow",
    source: "Local",
    uri: ".",
    install_command: "echo started; sleep 60",
    command: "./connector.sh",
  });
  const started = Date.now();
  const result = await install(manifest, "--timeout", "1");
  assert.equal(result.code, 1);
  assert.ok(Date.now() - started < 15_000, "stopped at the deadline, not after the sleep");
  assert.match(
    result.stderr,
    /install of "slow" failed: install_command `echo started; sleep 60` did not finish within 1 s \(--timeout\); it was stopped\nnothing was installed/,
  );
  const [entry] = await listInstalled();
  assert.equal(entry.status, "install failed");
  const sync = await sluice(["sync", "slow"]);
  assert.equal(sync.code, 1, sync.stderr);
  assert.match(
    sync.stderr,
    /connector "slow" has no working installation: its install failed \(install_command `echo started; sleep 60` did not finish/,
  );
  const show = await sluice(["connectors", "show", "slow"]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /status: +install failed/);
  assert.match(show.stdout, /\n {4}started\n/, "the log shows the command's output");
});

test("a manifest from stdin (-) installs; a lock whose process is gone is taken over, a live one's refuses; update runs update_command, not install_command", async (t) => {
  const home = useTempHome(t);
  const source = join(tempDir(t), "packages-connector");
  writePackagesConnector(source, ["alpha"]);
  const manifest = JSON.stringify({
    name: "piped",
    source: "Local",
    uri: source,
    install_command: "echo built > BUILT",
    update_command: "echo updated > UPDATED",
    command: "./connector.sh",
  });
  const lock = join(home, "connectors", "piped", ".lock");
  mkdirSync(dirname(lock), { recursive: true });
  writeFileSync(lock, String(process.pid)); // held by a running process: this test's
  const busy = await sluice(["connectors", "install", "-", "--yes"], { input: manifest });
  assert.equal(busy.code, 1, busy.stderr);
  assert.match(
    busy.stderr,
    new RegExp(`connector "piped" is being installed, updated or removed by process ${process.pid}`),
  );

  writeFileSync(lock, "4194305"); // above any pid_max (2^22): a process long gone, say one killed mid-install
  const piped = await sluice(["--json", "connectors", "install", "-", "--yes"], { input: manifest });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(JSON.parse(piped.stdout).name, "piped");
  assert.equal(existsSync(lock), false, "the lock is released");
  const db = join(tempDir(t), "data.db");
  assert.deepEqual(await syncPackages("piped", db), ["alpha"]);

  addPackage(source, "beta");
  const update = await sluice(["--json", "connectors", "update", "piped", "--yes"]);
  assert.equal(update.code, 0, update.stderr);
  const updated = JSON.parse(update.stdout) as { folder: string };
  assert.equal(
    readFileSync(join(updated.folder, "UPDATED"), "utf8"),
    "updated\n",
    "update_command ran in the new release",
  );
  assert.equal(existsSync(join(updated.folder, "BUILT")), false, "instead of install_command");
  // docs/registry.md: the source is still fetched as for an install (Local: copied afresh)
  assert.deepEqual(await syncPackages("piped", db), ["alpha", "beta"]);
});

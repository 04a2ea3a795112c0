/**
 * VCS installs with the real git: a bare repository made in the test, a
 * clone installed and synced, a new commit pushed and pulled by `update`,
 * and a pinned ref that update leaves where it is.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { run, sluice, tempDir } from "./helpers.js";
import {
  addPackage,
  installOk,
  listInstalled,
  syncPackages,
  useTempHome,
  writeManifest,
  writePackagesConnector,
} from "./registry-helpers.js";

async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await run(
    "git",
    ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", ...args],
    { cwd },
  );
  assert.equal(result.code, 0, `git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

/** A bare repository holding the packages connector with one package, pushed from a work tree. */
async function makeRepository(t: {
  after(fn: () => void): void;
}): Promise<{ bare: string; work: string; first: string }> {
  const dir = tempDir(t);
  const bare = join(dir, "connector.git");
  const work = join(dir, "work");
  await git(dir, "init", "--quiet", "--bare", bare);
  await git(dir, "clone", "--quiet", bare, work);
  writePackagesConnector(work, ["alpha"]);
  await git(work, "add", ".");
  await git(work, "commit", "--quiet", "-m", "first");
  await git(work, "tag", "v1");
  await git(work, "push", "--quiet", "origin", "HEAD:main", "--tags");
  return { bare, work, first: await git(work, "rev-parse", "HEAD") };
}

test("VCS: clone from a bare repository, sync, then update pulls the new commit and records it", async (t) => {
  useTempHome(t);
  const { bare, work, first } = await makeRepository(t);
  const manifestDir = tempDir(t);
  const manifest = writeManifest(manifestDir, {
    name: "repo",
    source: "VCS",
    uri: `file://${bare}`,
    install_command: "git rev-parse HEAD > COMMIT",
    command: "./connector.sh",
  });
  const db = join(tempDir(t), "data.db");

  const installed = await installOk(manifest);
  assert.equal(installed.version, first, "the commit is recorded");
  assert.deepEqual(await syncPackages("repo", db), ["alpha"]);

  addPackage(work, "beta");
  await git(work, "add", ".");
  await git(work, "commit", "--quiet", "-m", "second");
  await git(work, "push", "--quiet", "origin", "HEAD:main");
  const second = await git(work, "rev-parse", "HEAD");

  const plan = await sluice(["connectors", "update", "repo", "--dry-run"]);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(
    plan.stderr,
    /1\. git clone --quiet -- .*releases\/\S+ .*\n\s+2\. git remote set-url origin file:\/\/.*\n\s+3\. git pull --ff-only\n\s+4\. install_command: sh -c "git rev-parse HEAD > COMMIT"/,
  );
  const update = await sluice(["--json", "connectors", "update", "repo", "--yes"]);
  assert.equal(update.code, 0, update.stderr);
  const updated = JSON.parse(update.stdout) as { version: string; folder: string };
  assert.equal(updated.version, second);
  assert.deepEqual(await syncPackages("repo", db), ["alpha", "beta"]);
  const [entry] = await listInstalled();
  assert.equal(entry.version, second);
  assert.match(
    (await sluice(["connectors", "list"])).stdout,
    new RegExp(`repo\\s+VCS file://\\S+\\s+${second.slice(0, 12)}\\s`),
  );

  const unchanged = await sluice(["--json", "connectors", "update", "repo", "--yes"]);
  assert.equal(JSON.parse(unchanged.stdout).version, second, "an update with nothing new keeps the commit");
});

test("VCS: a pinned ref (a tag) installs that commit, and update leaves it pinned; a missing ref is named", async (t) => {
  useTempHome(t);
  const { bare, work, first } = await makeRepository(t);
  addPackage(work, "beta");
  await git(work, "add", ".");
  await git(work, "commit", "--quiet", "-m", "second");
  await git(work, "push", "--quiet", "origin", "HEAD:main");
  const dir = tempDir(t);
  // A relative path: relative to the manifest's folder.
  const manifest = writeManifest(dir, {
    name: "pinned",
    source: "VCS",
    uri: `../${bare.split("/").slice(-2).join("/")}`,
    ref: "v1",
    command: "./connector.sh",
  });
  const db = join(tempDir(t), "data.db");
  const installed = await installOk(manifest);
  assert.equal(installed.version, first);
  assert.deepEqual(await syncPackages("pinned", db), ["alpha"]);
  const update = await sluice(["--json", "connectors", "update", "pinned", "--yes"]);
  assert.equal(update.code, 0, update.stderr);
  assert.equal(JSON.parse(update.stdout).version, first);

  const branch = writeManifest(
    dir,
    { name: "on-main", source: "VCS", uri: bare, ref: "main", command: "./connector.sh" },
    "branch.json",
  );
  assert.notEqual((await installOk(branch)).version, first, "a branch ref is its tip");
  assert.deepEqual(await syncPackages("on-main", db), ["alpha", "beta"]);

  const missing = writeManifest(
    dir,
    { name: "nope", source: "VCS", uri: bare, ref: "v9", command: "./connector.sh" },
    "missing.json",
  );
  const result = await sluice(["connectors", "install", missing, "--yes"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /install of "nope" failed: "ref": "v9" is not a branch, tag or commit of /);
  const unreachable = writeManifest(
    dir,
    { name: "gone", source: "VCS", uri: join(dir, "no-such-repo.git"), command: "./connector.sh" },
    "gone.json",
  );
  const clone = await sluice(["connectors", "install", unreachable, "--yes"]);
  assert.equal(clone.code, 1, clone.stderr);
  assert.match(
    clone.stderr,
    /install of "gone" failed: git clone `git clone -- .*no-such-repo\.git .*` exited with code 128 .*\n.*does not exist/,
  );
});

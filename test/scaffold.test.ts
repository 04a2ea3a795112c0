/**
 * `sluice new`: every template combination scaffolds a project that builds
 * with its language's own tools, passes its own tests and `sluice test`, and
 * carries a manifest `sluice connectors install` accepts. Go modules come from the module cache
 * and the Python virtual environment is kept between runs (.venv-scaffold,
 * rebuilt when the rendered requirements change), as the build scripts do.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { offered } from "../src/scaffold/index.js";
import { type RunResult, root, run, sluice, tempDir } from "./helpers.js";
import { useTempHome } from "./registry-helpers.js";

const STEP_TIMEOUT_MS = 600_000;

async function step(command: string, args: string[], cwd: string): Promise<RunResult> {
  const result = await run(command, args, { cwd, timeoutMs: STEP_TIMEOUT_MS });
  assert.equal(result.code, 0, `${command} ${args.join(" ")} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Builds the project and runs its own tests, as its README says. */
const BUILD_AND_TEST: Record<string, (project: string, name: string) => Promise<void>> = {
  ts: async (project) => {
    await step("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], project);
    await step("npm", ["test"], project);
  },
  go: async (project, name) => {
    await step("go", ["mod", "tidy"], project);
    await step("go", ["build", "-o", `bin/${name}`, "."], project);
    await step("go", ["test", "./..."], project);
  },
  python: async (project) => {
    const venv = join(root, ".venv-scaffold");
    await step(
      "bash",
      [
        "-c",
        'source "$1/scripts/venv.sh" && ensure_venv "$2" "$3"',
        "_",
        root,
        venv,
        join(project, "requirements.txt"),
      ],
      project,
    );
    symlinkSync(venv, join(project, ".venv"));
    await step(join(project, ".venv/bin/python"), ["-m", "unittest", "-v"], project);
  },
};

/** How the project's README says to run `sluice test` on it. */
function conformanceArgs(language: string, protocol: string, project: string, name: string): string[] {
  const command = {
    ts: `node ${join(project, "dist/src/main.js")}`,
    go: join(project, "bin", name),
    python: `${join(project, ".venv/bin/python")} ${join(project, "main.py")}`,
  }[language]!;
  if (protocol === "codeclimate") return [project, "--protocol", "codeclimate", "--options", '{"count": 30}'];
  if (protocol === "conduit")
    return [
      "--command",
      command,
      "--protocol",
      "conduit",
      "--config",
      "count=50",
      "--destination-config",
      `path=${join(project, "out.jsonl")}`,
    ];
  return ["--command", command, "--protocol", protocol, "--options", '{"count": 40}'];
}

for (const [language, protocols] of Object.entries(offered()))
  for (const protocol of protocols)
    test(`sluice new --lang ${language} --protocol ${protocol}: builds, passes its own tests and sluice test, installs`, async (t) => {
      const cwd = tempDir(t);
      const name = `demo-${language}-${protocol}`;
      const made = await sluice(["--json", "new", name, "--lang", language, "--protocol", protocol], { cwd });
      assert.equal(made.code, 0, made.stderr);
      const result = JSON.parse(made.stdout) as { directory: string; files: string[]; nextSteps: string[] };
      const project = join(cwd, name);
      assert.equal(result.directory, project);
      for (const file of ["README.md", "manifest.json", ...result.files])
        assert.ok(existsSync(join(project, file)), file);
      const readme = readFileSync(join(project, "README.md"), "utf8");
      assert.match(readme, /## What to edit/);
      assert.doesNotMatch(readme + readFileSync(join(project, "manifest.json"), "utf8"), /\{\{/);

      await BUILD_AND_TEST[language](project, name);

      const checked = await sluice(["test", ...conformanceArgs(language, protocol, project, name)], {
        cwd: project,
        timeoutMs: STEP_TIMEOUT_MS,
      });
      assert.equal(checked.code, 0, `sluice test failed on the new project:\n${checked.stdout}\n${checked.stderr}`);
      assert.match(checked.stdout, /0 failed, .*: all checks passed/);

      useTempHome(t);
      const plan = await sluice(["connectors", "install", join(project, "manifest.json"), "--dry-run"], { cwd });
      assert.equal(plan.code, 0, `the manifest is refused:\n${plan.stderr}`);
    });

test("sluice new refuses what it cannot make, saying what it can", async (t) => {
  const cwd = tempDir(t);
  const badName = await sluice(["new", "Bad Name", "--lang", "ts"], { cwd });
  assert.equal(badName.code, 1);
  assert.match(badName.stderr, /"Bad Name" cannot name a connector: use lower-case letters/);
  const noTemplate = await sluice(["new", "x", "--lang", "python", "--protocol", "codeclimate"], { cwd });
  assert.equal(noTemplate.code, 1);
  assert.match(noTemplate.stderr, /there is no python template for --protocol codeclimate; python offers: sluice/);
  const first = await sluice(["new", "taken", "--lang", "go"], { cwd });
  assert.equal(first.code, 0, first.stderr);
  const again = await sluice(["new", "taken", "--lang", "go"], { cwd });
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stderr, /taken already exists and is not empty/);
  const help = await sluice(["new", "--help"]);
  assert.match(help.stdout, /Templates \(language: protocols\):\n {2}ts {6}sluice, c1, conduit, codeclimate/);
});

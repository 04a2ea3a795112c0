/**
 * Documentation that runs (test/docs-runner.ts): every command in README.md and
 * docs/*.md and every `Examples:` block of `--help` runs as written; a command
 * exiting non-zero where the text did not say so fails here, naming the file and
 * line. Commands not run are marked in the text and counted in the summary.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  blockOfHelp,
  blocksOfMarkdown,
  type CommandResult,
  type DocBlock,
  describeProblems,
  type Placeholders,
  runBlocks,
} from "./docs-runner.js";
import { freePort, tempDir } from "./helpers.js";
import { createDatabase, PG_ROLE, pgUrl } from "./pg-helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const DOCUMENT_TIMEOUT_MS = 600_000; // a bound on a hang, far above a run on a busy machine

/** The reader's placeholders, and the test's values for them. */
async function placeholders(t: { after(fn: () => Promise<void>): void }): Promise<Placeholders> {
  const database = await createDatabase(t);
  return [
    ["postgres://me@localhost/analytics", pgUrl(database)],
    ["PGPASSWORD=…", `PGPASSWORD=${PG_ROLE.password}`],
    ["50051", String(await freePort())],
    ["50052", String(await freePort())],
    ["50053", String(await freePort())],
    ["8080", String(await freePort())],
    ["8081", String(await freePort())],
  ];
}

/**
 * What the --help examples take for granted (a help text has no room for set-up):
 * a store with the generator's rows, served as a Qlik connector (no tokens: on
 * loopback) on the port the examples name.
 */
const HELP_SETUP: DocBlock = {
  where: "the set-up of the --help examples (test/docs.test.ts)",
  setup: [
    "sluice sync -c ./examples/go/generator/bin/generator -o '{\"count\": 100}' --db data.db >/dev/null 2>&1",
    `echo '{"count": 20, "seed": 1}' > faker.json`,
    "sluice connectors install examples/go/generator/manifest.json --yes >/dev/null 2>&1",
  ],
  commands: [
    {
      where: "the set-up of the --help examples (test/docs.test.ts)",
      text: "sluice serve qlik --db data.db --listen 127.0.0.1:50051 --no-auth",
      expect: { kind: "until-stopped" },
    },
  ],
};

const totals = { ran: 0, fails: 0, notRun: [] as string[] };

function count(results: CommandResult[]): void {
  for (const r of results) {
    if (!r.ran && r.command.expect.kind === "not-run") {
      const command = r.command.text.replace(/\s+#\s*not run\b.*$/, "");
      totals.notRun.push(`${r.command.where}: ${command} — ${r.command.expect.reason}`);
    } else {
      totals.ran++;
      if (r.command.expect.kind === "fails") totals.fails++;
    }
  }
}

async function runDocument(
  t: { after(fn: () => Promise<void>): void; diagnostic(message: string): void },
  blocks: DocBlock[],
) {
  const results = await runBlocks(blocks, {
    root,
    workDir: tempDir(t),
    placeholders: await placeholders(t),
    timeoutMs: DOCUMENT_TIMEOUT_MS,
  });
  count(results);
  const problems = describeProblems(results);
  if (problems !== "") assert.fail(`documented commands that do not work as written:\n${problems}`);
}

const documents = ["README.md", ...readdirSync(join(root, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);

// Two documents at a time: most of a document's time is processes starting, and each has its own folder,
// SLUICE_HOME, database and ports.
describe("documented commands run as written", { concurrency: 2 }, () => {
  after(() => {
    console.log(`${totals.ran} documented commands ran (${totals.fails} of them meant to fail)`);
    console.log(`${totals.notRun.length} marked not run:`);
    for (const line of totals.notRun) console.log(`  ${line}`);
  });

  for (const file of documents) {
    test(file, async (t) => {
      const blocks = blocksOfMarkdown(readFileSync(join(root, file), "utf8"), file);
      await runDocument(t, blocks);
    });
  }

  test("the Examples: of every --help", async (t) => {
    const blocks = helpTexts(tempDir(t))
      .map(([path, help]) => blockOfHelp(help, `sluice ${path} --help`))
      .filter((b): b is DocBlock => b !== undefined);
    assert.ok(blocks.length >= 5, "the --help texts have Examples: blocks");
    await runDocument(t, [HELP_SETUP, ...blocks]);
  });
});

/**
 * Every command's --help, in one Node process: `main()` of the built CLI called
 * once per command path, its stdout captured.
 */
function helpTexts(home: string): Array<[path: string, help: string]> {
  const script = `
    const { main } = await import(${JSON.stringify(join(root, "dist/cli/main.js"))});
    const texts = [];
    const write = process.stdout.write.bind(process.stdout);
    async function help(path) {
      let text = "";
      process.stdout.write = (chunk) => { text += chunk; return true; };
      try { await main(["node", "sluice", ...path, "--help"]); } finally { process.stdout.write = write; }
      texts.push([path.join(" "), text]);
      // the subcommands: the lines of the Commands: section, up to its first blank line
      const section = text.split("\\nCommands:\\n")[1]?.split("\\n\\n")[0];
      if (!section) return;
      for (const line of section.split("\\n")) {
        const name = /^  ([a-z][\\w-]*)/.exec(line)?.[1];
        if (name && name !== "help") await help([...path, name]);
      }
    }
    await help([]);
    write(JSON.stringify(texts));
    process.exit(0);
  `;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, SLUICE_HOME: home },
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Array<[string, string]>;
}

/**
 * The runner of documented commands (test/docs-runner.ts) fails when a
 * documented command breaks, and honours the convention: `# fails`,
 * `# fails: <text>`, `# not run: …`, `<!-- not run: … -->`, `<!-- setup: … -->`,
 * `# until stopped`, placeholders.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { blockOfHelp, blocksOfMarkdown, describeProblems, runBlocks } from "../docs-runner.js";

function folder(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-docs-runner-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function run(t: { after(fn: () => void): void }, markdown: string) {
  const root = folder(t);
  const blocks = blocksOfMarkdown(markdown, "DOC.md");
  const results = await runBlocks(blocks, {
    root,
    workDir: folder(t),
    placeholders: [["<greeting>", "hello"]],
    timeoutMs: 20_000,
  });
  return { results, problems: describeProblems(results) };
}

const fence = (body: string, lang = "sh") => `\`\`\`${lang}\n${body}\n\`\`\``;

test("a documented command that breaks fails, naming the file, line, exit code and output", async (t) => {
  const { problems } = await run(t, `# Title\n\n${fence("true\necho about to break && ls /no/such/folder\ntrue")}\n`);
  assert.match(
    problems,
    /^DOC\.md:5: echo about to break && ls \/no\/such\/folder\n {2}exit 2, the doc expects success/,
  );
  assert.match(problems, /\| about to break/);
  assert.match(problems, /No such file or directory/);
});

test("commands meant to fail: `# fails` needs a non-zero exit, `# fails: <text>` also the text", async (t) => {
  const { problems, results } = await run(
    t,
    fence(
      [
        "false   # fails",
        "ls /no/such/folder   # fails: No such file",
        "ls /no/such/folder   # fails: a message it does not print",
        "true   # fails",
      ].join("\n"),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.problem),
    [undefined, undefined, 'its output does not say "a message it does not print"', "exit 0, the doc says it fails"],
  );
  assert.notEqual(problems, "");
});

test("not run: marked on a line or before a block, counted, never executed", async (t) => {
  const { results, problems } = await run(
    t,
    [
      fence("touch ran-1   # not run: needs a cloud account"),
      "<!-- not run: needs a terminal -->",
      fence("touch ran-2\ntouch ran-3"),
      fence("test ! -e ran-1 && test ! -e ran-2 && test ! -e ran-3"),
    ].join("\n\n"),
  );
  assert.equal(problems, "");
  assert.deepEqual(
    results.map((r) => [r.ran, r.command.expect.kind]),
    [
      [false, "not-run"],
      [false, "not-run"],
      [false, "not-run"],
      [true, "succeeds"],
    ],
  );
});

test("set-up, placeholders, continued lines, state kept between blocks, other languages not run", async (t) => {
  const { results, problems } = await run(
    t,
    [
      "<!-- setup: echo '<greeting>' > greeting.txt -->",
      fence('grep -q hello greeting.txt && \\\n  export SEEN="<greeting> world"'),
      fence("this is a synopsis, not a command", "text"),
      fence('test "$SEEN" = "hello world" && test -n "$SLUICE_HOME"'),
    ].join("\n"),
  );
  assert.equal(problems, "");
  assert.equal(results.length, 2);
  assert.equal(results[0].command.where, "DOC.md:3");
});

test("`# until stopped`: a server runs while the rest of the document uses it, then gets Ctrl-C", async (t) => {
  const server = `node -e 'console.log("up"); process.on("SIGINT", () => process.exit(130)); setInterval(() => {}, 1000)'`;
  const ok = await run(t, fence(`${server}   # until stopped\ntrue`));
  assert.equal(ok.problems, "");
  assert.equal(ok.results[0].exitCode, 130);
  const early = await run(t, fence(`node -e 'console.log("up")'   # until stopped\nsleep 0.5`));
  assert.match(early.problems, /it ended by itself/);
});

test("a document that hangs is stopped at its bound, naming the command", async (t) => {
  const root = folder(t);
  const results = await runBlocks(blocksOfMarkdown(fence("true\nsleep 60\ntrue"), "DOC.md"), {
    root,
    workDir: folder(t),
    placeholders: [],
    timeoutMs: 1_000,
  });
  assert.deepEqual(
    results.map((r) => r.problem),
    [undefined, "the document did not finish within 1 s", "the document did not finish within 1 s"],
  );
});

test("an unknown directive is an error, not a silent skip", () => {
  assert.throws(
    () => blocksOfMarkdown(`<!-- skip: later -->\n${fence("true")}`, "DOC.md"),
    /DOC\.md:1: unknown directive/,
  );
});

test("the Examples: of a --help text, with continued lines", () => {
  const block = blockOfHelp(
    "Usage: sluice x\n\nExamples:\n  sluice x --a \\\n      --b   # fails: nope\n  sluice x --c\n\nMore text\n",
    "sluice x --help",
  );
  assert.deepEqual(
    block?.commands.map((c) => [c.text, c.expect.kind]),
    [
      ["sluice x --a --b   # fails: nope", "fails"],
      ["sluice x --c", "succeeds"],
    ],
  );
});

/**
 * Documentation that runs: extracts the commands shown in README.md, docs/*.md
 * (fenced `sh` blocks) and the `Examples:` blocks of every `--help`, and runs
 * them as written, one shell per document, so a documented command that breaks
 * fails `npm test`. The convention (README, "Documentation that runs"):
 *
 *   - every line of a ```sh / ```bash / ```shell block is a command (a trailing
 *     `\` continues it; lines starting with `#` are comments); a ```text block
 *     is a synopsis and is not run
 *   - a command must exit 0, unless it ends with `# fails` (any non-zero exit)
 *     or `# fails: <text>` (non-zero, and <text> appears in its output)
 *   - `# until stopped` (a server): runs in the background until its output
 *     begins; the rest of the document uses it, then it gets Ctrl-C (SIGINT)
 *     and must still have been running
 *   - `# not run: <reason>` on a command, or `<!-- not run: <reason> -->` just
 *     before a block: not run, but counted and reported with the reason
 *   - `<!-- setup: <command> -->` just before a block: run first, unshown
 *     (e.g. writing a config file the text asks the reader to write)
 *   - placeholders the reader replaces (PLACEHOLDERS below: a PostgreSQL URL, its
 *     password, the example port) are replaced by the test's own values
 *
 * Each document runs in its own folder (a git repository whose entries link to
 * this repository's: examples, fixtures, built output), with its own
 * SLUICE_HOME, and with `sluice` on PATH as `npm link` puts it there.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Expectation =
  | { kind: "succeeds" }
  | { kind: "fails"; text?: string }
  | { kind: "until-stopped" }
  | { kind: "not-run"; reason: string };

export interface DocCommand {
  /** Where it is shown: `README.md:42` or `sluice sync --help`. */
  where: string;
  text: string;
  expect: Expectation;
}

export interface DocBlock {
  where: string;
  setup: string[];
  commands: DocCommand[];
}

const RUN_LANGUAGES = new Set(["sh", "bash", "shell"]);
const DIRECTIVE = /^<!--\s*(setup|not run):\s*([\s\S]*?)\s*-->$/;
const ANY_DIRECTIVE = /^<!--\s*([a-z ]+):/;

/** The runnable blocks of a Markdown document, with their directives. */
export function blocksOfMarkdown(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  let pending: { setup: string[]; notRun?: string } = { setup: [] };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const directive = DIRECTIVE.exec(line);
    if (directive) {
      if (directive[1] === "setup") pending.setup.push(directive[2]);
      else pending.notRun = directive[2];
      continue;
    }
    if (ANY_DIRECTIVE.test(line) && /-->$/.test(line)) {
      throw new Error(`${file}:${i + 1}: unknown directive ${line} (setup, not run)`);
    }
    const fence = /^```(\S*)/.exec(line);
    if (!fence) {
      if (line !== "") pending = { setup: [] };
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].trim().startsWith("```"); i++) body.push(lines[i]);
    if (RUN_LANGUAGES.has(fence[1])) {
      const where = `${file}:${start + 1}`;
      const commands = commandsOf(body, (n) => `${file}:${start + 2 + n}`);
      if (pending.notRun !== undefined) {
        for (const c of commands) c.expect = { kind: "not-run", reason: pending.notRun };
      }
      blocks.push({ where, setup: pending.setup, commands });
    }
    pending = { setup: [] };
  }
  return blocks;
}

/** The `Examples:` (or `Example:`) block of a `--help` text: its indented lines, up to the first that is not. */
export function blockOfHelp(help: string, where: string): DocBlock | undefined {
  const lines = help.split("\n");
  const start = lines.findIndex((l) => /^Examples?( \(.*\))?:$/.test(l.trim()));
  if (start < 0) return undefined;
  const body: string[] = [];
  for (let i = start + 1; i < lines.length && /^\s/.test(lines[i]) && lines[i].trim() !== ""; i++) body.push(lines[i]);
  return { where, setup: [], commands: commandsOf(body, () => where) };
}

function commandsOf(body: string[], whereOf: (index: number) => string): DocCommand[] {
  const commands: DocCommand[] = [];
  for (let n = 0; n < body.length; n++) {
    const first = n;
    let text = body[n].trim();
    while (text.endsWith("\\") && n + 1 < body.length) text = `${text.slice(0, -1).trimEnd()} ${body[++n].trim()}`;
    if (text === "" || text.startsWith("#")) continue;
    commands.push({ where: whereOf(first), text, expect: expectationOf(text) });
  }
  return commands;
}

function expectationOf(text: string): Expectation {
  const marker = /\s#\s*(fails|until stopped|not run)\b:?\s*(.*)$/.exec(text);
  if (!marker) return { kind: "succeeds" };
  if (marker[1] === "until stopped") return { kind: "until-stopped" };
  if (marker[1] === "not run") return { kind: "not-run", reason: marker[2] || "(no reason given)" };
  return marker[2] ? { kind: "fails", text: marker[2] } : { kind: "fails" };
}

/** The reader's placeholders and what the tests put in their place (longest first). */
export type Placeholders = Array<[placeholder: string, value: string]>;

export function withPlaceholders(text: string, placeholders: Placeholders): string {
  let out = text;
  for (const [from, to] of placeholders) out = out.split(from).join(to);
  return out;
}

export interface CommandResult {
  command: DocCommand;
  ran: boolean;
  exitCode?: number;
  output: string;
  problem?: string;
}

export interface RunOptions {
  /** This repository: its entries are linked into each document's folder. */
  root: string;
  /** A fresh folder for this document (created). */
  workDir: string;
  placeholders: Placeholders;
  /** Bound on the whole document. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a document's blocks in one shell, in order; one result per command. */
export async function runBlocks(blocks: DocBlock[], options: RunOptions): Promise<CommandResult[]> {
  const { sandbox, out, bin, home } = prepareFolders(options);
  const script = scriptOf(blocks, out, options.placeholders);
  writeFileSync(join(out, "script.sh"), script);
  const child = spawn("bash", [join(out, "script.sh")], {
    cwd: sandbox,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env, PATH: `${bin}:${process.env.PATH}`, SLUICE_HOME: home, CI: "true" },
  });
  let shellOutput = "";
  child.stdout.on("data", (d) => (shellOutput += d));
  child.stderr.on("data", (d) => (shellOutput += d));
  const timedOut = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      killGroup(child.pid);
      resolve(true);
    }, options.timeoutMs);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  killGroup(child.pid); // anything a command left running in the background
  for (const file of readdirSync(out).filter((f) => f.endsWith(".pid"))) killGroup(Number(read(join(out, file))));
  return resultsOf(
    blocks,
    out,
    timedOut ? `the document did not finish within ${options.timeoutMs / 1000} s` : undefined,
    shellOutput,
  );
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function prepareFolders(options: RunOptions) {
  const sandbox = join(options.workDir, "work");
  const out = join(options.workDir, "out");
  const bin = join(options.workDir, "bin");
  const home = join(options.workDir, "home");
  for (const dir of [sandbox, out, bin, home]) mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(options.root)) {
    if (entry === ".git" || /\.(db|duckdb|sqlite)(-wal|-shm)?$/.test(entry)) continue;
    symlinkSync(join(options.root, entry), join(sandbox, entry));
  }
  // what `npm link` does: the package's bins on PATH
  symlinkSync(join(options.root, "bin/sluice.js"), join(bin, "sluice"));
  symlinkSync(join(options.root, "bin/codeclimate-connector.js"), join(bin, "codeclimate-connector"));
  return { sandbox, out, bin, home };
}

const quote = (s: string) => `'${s.split("'").join(`'\\''`)}'`;

function scriptOf(blocks: DocBlock[], out: string, placeholders: Placeholders): string {
  const lines = [
    "set -u",
    // a git repository to read (the demo connectors read the commits of `.`)
    "git init -q . && git -c user.name=docs -c user.email=docs@example.com commit -q --allow-empty -m docs",
    // Ctrl-C for each server; one that already ended is reported as such
    "stop_servers() { for pid in $servers; do",
    '  if kill -INT -- -$pid 2>/dev/null; then wait $pid; echo $? > "$out/$pid.stopped";',
    '  else wait $pid; echo "ended $?" > "$out/$pid.stopped"; fi',
    "done; servers=; }",
    "servers=",
    `out=${quote(out)}`,
  ];
  let index = 0;
  for (const block of blocks) {
    for (const setup of block.setup) lines.push(withPlaceholders(setup, placeholders));
    for (const command of block.commands) {
      const i = index++;
      if (command.expect.kind === "not-run") continue;
      const text = withPlaceholders(command.text, placeholders);
      lines.push(`: > "$out/${i}.started"`);
      if (command.expect.kind === "until-stopped") {
        // a process group of its own, stopped as a reader would: Ctrl-C
        lines.push(`setsid bash -c ${quote(text)} > "$out/${i}.log" 2>&1 < /dev/null &`);
        lines.push(`pid=$!; servers="$servers $pid"; echo $pid > "$out/${i}.pid"`);
        // bounded wait for the server to say it is up (its first line of output)
        lines.push(
          `for _ in $(seq 300); do [ -s "$out/${i}.log" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done`,
        );
      } else {
        lines.push(`{ ${text}\n} > "$out/${i}.log" 2>&1 < /dev/null; echo $? > "$out/${i}.rc"`);
      }
    }
  }
  lines.push("stop_servers");
  return `${lines.join("\n")}\n`;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function resultsOf(blocks: DocBlock[], out: string, timeout: string | undefined, shellOutput: string): CommandResult[] {
  const results: CommandResult[] = [];
  let index = 0;
  for (const command of blocks.flatMap((b) => b.commands)) {
    const i = index++;
    if (command.expect.kind === "not-run") {
      results.push({ command, ran: false, output: "" });
      continue;
    }
    const started = read(join(out, `${i}.started`)) !== undefined;
    const output = read(join(out, `${i}.log`)) ?? "";
    if (!started) {
      results.push({
        command,
        ran: false,
        output,
        problem: timeout ?? `never started (the shell said: ${shellOutput.trim()})`,
      });
      continue;
    }
    if (command.expect.kind === "until-stopped") {
      const pid = read(join(out, `${i}.pid`))?.trim();
      const stopped = pid ? read(join(out, `${pid}.stopped`))?.trim() : undefined;
      const exitCode = stopped === undefined ? undefined : Number(stopped.replace("ended ", ""));
      const problem =
        stopped === undefined
          ? (timeout ?? "it was never stopped")
          : stopped.startsWith("ended")
            ? `it ended by itself (exit ${exitCode}) before the rest of the document was done`
            : exitCode === 130 || exitCode === 0
              ? undefined
              : `Ctrl-C stopped it with exit ${exitCode} (expected 130 or 0)`;
      results.push({ command, ran: true, exitCode, output, problem });
      continue;
    }
    const rc = read(join(out, `${i}.rc`))?.trim();
    if (rc === undefined) {
      results.push({ command, ran: true, output, problem: timeout ?? "it did not finish" });
      continue;
    }
    const exitCode = Number(rc);
    results.push({ command, ran: true, exitCode, output, problem: problemOf(command.expect, exitCode, output) });
  }
  return results;
}

function problemOf(expect: Expectation, exitCode: number, output: string): string | undefined {
  if (expect.kind === "succeeds") return exitCode === 0 ? undefined : `exit ${exitCode}, the doc expects success`;
  if (expect.kind !== "fails") return undefined;
  if (exitCode === 0) return "exit 0, the doc says it fails";
  if (expect.text && !output.includes(expect.text)) return `its output does not say "${expect.text}"`;
  return undefined;
}

/** One line per problem, with the command and the end of its output. */
export function describeProblems(results: CommandResult[]): string {
  return results
    .filter((r) => r.problem)
    .map((r) => `${r.command.where}: ${r.command.text}\n  ${r.problem}\n${indent(tail(r.output))}`)
    .join("\n");
}

function tail(output: string): string {
  const lines = output.trimEnd().split("\n");
  return lines.slice(-15).join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    | ${l}`)
    .join("\n");
}

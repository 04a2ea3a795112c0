/** Shared test helpers: temp folders, running the real CLI, reading SQLite files. */
import Database from "better-sqlite3";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const sluiceBin = join(root, "bin", "sluice.js");

export const examples = {
  tsPackages: `node ${join(root, "examples/ts/dist/packages/main.js")}`,
  tsC1Packages: `node ${join(root, "examples/ts/dist/c1-packages/main.js")}`,
  goFiles: join(root, "examples/go/files/bin/files"),
  goGenerator: join(root, "examples/go/generator/bin/generator"),
  goHost: join(root, "test/interop/go-host/bin/go-host"),
  pythonGitlog: `${join(root, ".venv/bin/python")} ${join(root, "examples/python/gitlog/main.py")}`,
};

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A git repository at `dir` (made if missing) with `commits` more commits of file.txt by Ada: what a git
 * connector reads in a test, instead of this checkout's own .git (absent when the tree comes as a tarball).
 */
export function gitRepo(dir: string, commits: number): string {
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });
  git("init", "-q");
  for (let i = 0; i < commits; i++) {
    writeFileSync(join(dir, "file.txt"), `version ${i}\n`);
    git("add", "file.txt");
    git("-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-q", "-m", `change ${i}`);
  }
  return dir;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command outlived its `timeoutMs` and was killed. */
  timedOut?: true;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Fed to its stdin (closed at once without it). */
  input?: string;
}

export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? root,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    child.stdin?.end(options.input);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const finish = (code: number | null) => {
      clearTimeout(timer);
      clearTimeout(orphanedPipes);
      const note = timedOut ? `\n[test helper: killed after ${timeoutMs / 1000} s without finishing]` : "";
      resolve({ code, stdout, stderr: stderr + note, ...(timedOut ? { timedOut: true as const } : {}) });
    };
    // "close" waits for the pipes too; a process the command left behind may still hold them, so a
    // killed command is reported a few seconds after its exit rather than never (a hang then names itself).
    let orphanedPipes: NodeJS.Timeout | undefined;
    child.on("exit", (code) => {
      if (timedOut) orphanedPipes = setTimeout(() => finish(code), 5_000);
    });
    child.on("error", reject);
    child.on("close", finish);
  });
}

/** Runs `sluice <args>`. */
export function sluice(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [sluiceBin, ...args], options);
}

/** What `sluice --json sync` prints. */
export interface SyncSummary {
  protocol: string;
  /** How a go-plugin connector was reached: "grpc", or "grpc+mtls" (AutoMTLS answered with a certificate). */
  transport?: string;
  inserted: number;
  updated: number;
  unchanged: number;
  pages: number;
  records: number;
  streams: Record<string, { table: string; pages: number }>;
}

/** Runs `sluice --json <args>` and parses stdout. */
export async function sluiceJson<T = Record<string, unknown>>(
  args: string[],
  options: { cwd?: string } = {},
): Promise<T> {
  const result = await sluice(["--json", ...args], options);
  if (result.code !== 0) throw new Error(`sluice ${args.join(" ")} exited ${result.code}\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export function query<T = Record<string, unknown>>(dbFile: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Resolves once `condition()` holds, checking every 100 ms; fails after `timeoutMs` (a bound on a hang, not a timing). */
export async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Rows in `table` of the SQLite file `db`, 0 while it or the table does not exist yet. */
export function countRows(db: string, table: string): number {
  try {
    return query<{ n: number }>(db, `SELECT count(*) AS n FROM "${table}"`)[0].n;
  } catch {
    return 0;
  }
}

/** `root` and every process below it, with their command lines (argv joined with spaces): what `ps` shows any user. */
export function processTree(root: number): { pid: number; commandLine: string }[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      // The parent pid is the 4th field of stat, after the command name in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone already
    }
  }
  const family = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents)
      if (family.has(parent) && !family.has(pid)) {
        family.add(pid);
        grew = true;
      }
  }
  const tree: { pid: number; commandLine: string }[] = [];
  for (const pid of family) {
    try {
      tree.push({ pid, commandLine: readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim() });
    } catch {
      // gone already
    }
  }
  return tree;
}

/** A folder on a tmpfs of `size` (root only; undefined elsewhere): a disk that fills up, which can grow or go. */
export function smallDisk(size: string): { dir: string; grow(size: string): void; remove(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "sluice-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    grow: (bigger) => execFileSync("mount", ["-o", `remount,size=${bigger}`, dir], { stdio: "ignore" }),
    remove: () => {
      execFileSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

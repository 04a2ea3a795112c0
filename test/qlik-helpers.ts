/**
 * Helpers of the Qlik tests: `sluice serve qlik` and the Python peers as
 * child processes on 127.0.0.1, Python code generated from the published
 * contract (test/fixtures/qlik/published) into a temp folder, peak RSS.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { root, run, type RunResult, sluiceBin, tempDir } from "./helpers.js";
import { stopAfter } from "./process-helpers.js";

export const python = join(root, ".venv/bin/python");
const fixtures = join(root, "test/fixtures/qlik");

type Hooks = { after(fn: () => void | Promise<void>): void };

/** grpc_tools.protoc on the published protos; returns the folder to put on PYTHONPATH. */
export function generatePythonPeers(t: Hooks): string {
  const out = tempDir(t);
  execFileSync(python, [
    "-m",
    "grpc_tools.protoc",
    "-I",
    join(fixtures, "published"),
    `--python_out=${out}`,
    `--grpc_python_out=${out}`,
    "qlik_a.proto",
    "qlik_connect.proto",
  ]);
  return out;
}

export interface Served {
  address: string;
  process: ChildProcess;
  stderr(): string;
  /** The process's peak resident set (VmHWM), in MiB. */
  peakRssMiB(): number;
}

/** Starts a child that prints its address on the first stdout line; stops it (by its pid) after the test. */
async function startChild(
  t: Hooks,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  addressOf: (line: string) => string,
): Promise<Served> {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  stopAfter(t, child);
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, "line"), once(child, "exit").then(() => [undefined])])) as [
    string | undefined,
  ];
  if (line === undefined) throw new Error(`${command} ${args.join(" ")} exited before listening:\n${stderr}`);
  return { address: addressOf(line), process: child, stderr: () => stderr, peakRssMiB: () => peakRssMiB(child.pid!) };
}

/**
 * `sluice serve qlik` on 127.0.0.1, port 0. By default without
 * authentication (--no-auth, allowed on loopback) for the tests about what is
 * served; `auth: "token"` makes a token in the database first and serves
 * with token authentication, the default.
 */
export async function serveQlik(
  t: Hooks,
  db: string,
  extra: string[] = [],
  options: { auth?: "token" | "none"; env?: NodeJS.ProcessEnv } = {},
): Promise<Served & { token?: string }> {
  let token: string | undefined;
  if (options.auth === "token") {
    const created = await run(process.execPath, [
      sluiceBin,
      "--json",
      "server",
      "token",
      "create",
      "--name",
      "test",
      "--db",
      db,
    ]);
    if (created.code !== 0) throw new Error(`sluice server token create failed:\n${created.stderr}`);
    token = (JSON.parse(created.stdout) as { token: string }).token;
  }
  const auth = options.auth === "token" ? [] : ["--no-auth"];
  const served = await startChild(
    t,
    process.execPath,
    [sluiceBin, "--json", "serve", "qlik", "--listen", "127.0.0.1:0", "--db", db, ...auth, ...extra],
    options.env ?? process.env,
    (line) => {
      return (JSON.parse(line) as { listening: string }).listening;
    },
  );
  return { ...served, token };
}

export function startPythonConnector(t: Hooks, generated: string, flags: string[] = []): Promise<Served> {
  return startChild(
    t,
    python,
    [join(fixtures, "qlik_connector.py"), ...flags],
    { ...process.env, PYTHONPATH: generated },
    (line) => `127.0.0.1:${line.split(" ")[1]}`,
  );
}

export interface PythonRead {
  header?: { tableName: string; fields: { name: string; semanticType: number; type: number; tags: string[] }[] };
  rows?: unknown[][];
  rowCount?: number;
  lastRow?: unknown[];
  chunkBytes?: number[];
  error?: { code: string; details: string };
}

/** The Python client: GetData on `address`, decoded by Python. */
export async function pythonRead(
  generated: string,
  address: string,
  revision: "a" | "connect",
  statement: string,
  flags: string[] = [],
): Promise<PythonRead> {
  const result: RunResult = await run(
    python,
    [join(fixtures, "qlik_client.py"), address, revision, statement, ...flags],
    {
      env: { ...process.env, PYTHONPATH: generated },
    },
  );
  if (result.code !== 0) throw new Error(`qlik_client.py exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as PythonRead;
}

export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return Math.round(kib / 1024);
}

/** Runs a command to its end, sampling its peak RSS (VmHWM) until it exits. */
export async function runMeasured(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunResult & { peakRssMiB: number; seconds: number }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  let peak = 0;
  const sample = setInterval(() => {
    try {
      const now = peakRssMiB(child.pid!);
      if (Number.isFinite(now)) peak = Math.max(peak, now);
    } catch {
      // gone already: the last sample stands
    }
  }, 50);
  const [code] = (await once(child, "close")) as [number | null];
  clearInterval(sample);
  return { code, stdout, stderr, peakRssMiB: peak, seconds: (performance.now() - started) / 1000 };
}

/** The structured log lines (`--json`) a served process wrote to stderr so far. */
export function logLines(served: Served): Record<string, unknown>[] {
  return served
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

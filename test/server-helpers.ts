/** Shared by the server's tests: a real `sluice server` process on a real database, its API, installed fixtures. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { examples, root, sluice, sluiceBin } from "./helpers.js";

export const vaultConnector = join(root, "test/fixtures/server/vault-connector.mjs");

export interface RunningServer {
  url: string;
  /** The admin token printed at first start (undefined on later starts). */
  token: string | undefined;
  child: ChildProcess;
  /** Everything the process printed so far, stdout and stderr. */
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServerSetup {
  db: string;
  home: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
}

export function serverEnv(setup: ServerSetup): NodeJS.ProcessEnv {
  return { ...process.env, SLUICE_HOME: setup.home, ...setup.env };
}

/** Starts `sluice --json server` on a free loopback port and waits for the address it prints. */
export async function startServer(
  t: { after(fn: () => Promise<unknown>): void },
  setup: ServerSetup,
): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    [sluiceBin, "--json", "server", "--db", setup.db, "--listen", "127.0.0.1:0", ...(setup.args ?? [])],
    { cwd: root, env: serverEnv(setup), stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  let stdout = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.stderr!.on("data", (chunk) => {
    output += chunk;
  });
  const started = new Promise<{ url: string; token?: string }>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      stdout += chunk;
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n")) resolve(JSON.parse(line));
    });
    exited.then((code) => reject(new Error(`sluice server exited (${code}) before it served:\n${output}`)));
    setTimeout(() => reject(new Error(`sluice server did not start within 60 s:\n${output}`)), 60_000).unref();
  });
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  t.after(() => stop("SIGKILL"));
  const { url, token } = await started;
  return { url, token, child, output: () => output, stop };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the API with a bearer token (or none), JSON in and out. */
export async function call<T = unknown>(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    redirect: "manual",
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a page, an event stream): the text.
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** Installs a connector from a Local manifest with `sluice connectors install --yes` into `home`. */
export async function installConnector(
  home: string,
  manifest: { name: string; uri: string; command: string; description?: string },
): Promise<void> {
  mkdirSync(home, { recursive: true });
  const file = join(home, `${manifest.name}.manifest.json`);
  writeFileSync(file, JSON.stringify({ source: "Local", ...manifest }));
  const result = await sluice(["connectors", "install", file, "--yes"], { env: { ...process.env, SLUICE_HOME: home } });
  if (result.code !== 0) throw new Error(`install of ${manifest.name} failed:\n${result.stderr}`);
}

/** The vault fixture (a secret option, a careless log line, links) as installed connector "vault". */
export function installVault(home: string, scratch: string): Promise<void> {
  mkdirSync(scratch, { recursive: true });
  return installConnector(home, { name: "vault", uri: scratch, command: `node ${vaultConnector}` });
}

/** The Go example connector (examples/go/generator) as installed connector "generator". */
export function installGenerator(home: string): Promise<void> {
  return installConnector(home, {
    name: "generator",
    uri: join(root, "examples/go/generator"),
    command: "./bin/generator",
    description: "synthetic users (Go, native protocol)",
  });
}

/** A run as the API shows it (the fields tests look at). */
export interface RunView {
  id: number;
  status: string;
  records: number;
  error: string | null;
  finishedAt: string | null;
}

/** Starts a run of a connection through the API and waits (up to 3 minutes) until it finished. */
export async function runToEnd(server: RunningServer, token: string, connectionId: number): Promise<RunView> {
  const started = await call<RunView>(server.url, "POST", `/api/connections/${connectionId}/runs`, { token });
  if (started.status !== 202)
    throw new Error(`run of connection ${connectionId} refused: ${JSON.stringify(started.body)}`);
  return waitFor(
    async () => {
      const { body } = await call<RunView>(server.url, "GET", `/api/runs/${started.body.id}`, { token });
      return body.finishedAt ? body : undefined;
    },
    180_000,
    `run ${started.body.id} to finish`,
  );
}

/** Polls `check` until it returns a value, up to `ms`; the last error is thrown otherwise. */
export async function waitFor<T>(check: () => Promise<T | undefined>, ms = 60_000, what = "the condition"): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export { examples };

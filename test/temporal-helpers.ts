/**
 * The real Temporal server of the tests: the Temporal CLI's development
 * server (its own SQLite file), built and cached by scripts/build-temporal.sh
 * (npm test passes its path in SLUICE_TEST_TEMPORAL). Each test file starts
 * its own on free ports and stops it afterwards; stop() and start() again
 * keep its database, so a test can take Temporal away and bring it back.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { reapLeftovers } from "../src/process/index.js";
import { sluiceBin, tempDir, until } from "./helpers.js";

export const TEMPORAL_BIN =
  process.env.SLUICE_TEST_TEMPORAL ??
  join(process.env.SLUICE_TOOLS_DIR ?? join(homedir(), ".cache/sluice/tools"), "temporal");

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

export class TemporalDevServer {
  private child: ChildProcess | undefined;
  private output = "";

  private constructor(
    readonly port: number,
    private readonly httpPort: number,
    private readonly metricsPort: number,
    private readonly dbFile: string,
  ) {}

  /** Started, healthy, and stopped when the test ends. */
  static async start(t: { after(fn: () => Promise<void>): void }): Promise<TemporalDevServer> {
    const server = await TemporalDevServer.create(t);
    await server.start();
    return server;
  }

  /** Not started yet (its port is chosen): for clients that must find Temporal down first. */
  static async create(t: { after(fn: () => Promise<void>): void }): Promise<TemporalDevServer> {
    const dir = tempDir(t as { after(fn: () => void): void });
    const server = new TemporalDevServer(
      await freePort(),
      await freePort(),
      await freePort(),
      join(dir, "temporal.db"),
    );
    t.after(() => server.stop());
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.output = "";
    const args = ["server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", String(this.port)];
    args.push("--http-port", String(this.httpPort), "--metrics-port", String(this.metricsPort));
    args.push("--db-filename", this.dbFile, "--log-level", "error");
    const child = spawn(TEMPORAL_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout?.on("data", (d) => (this.output += d));
    child.stderr?.on("data", (d) => (this.output += d));
    await until(
      () => {
        if (child.exitCode !== null)
          throw new Error(`the Temporal dev server exited ${child.exitCode}:\n${this.output}`);
        return this.healthy();
      },
      `the Temporal dev server on ${this.address}`,
      60_000,
    );
  }

  /** Stops it (SIGTERM, then SIGKILL after 10 s) and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** `temporal <args>` against this server, parsed from JSON. */
  cli<T = unknown>(...args: string[]): T {
    const out = execFileSync(TEMPORAL_BIN, [...args, "--address", this.address, "-o", "json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return JSON.parse(out) as T;
  }

  private healthy(): boolean {
    try {
      const out = execFileSync(TEMPORAL_BIN, ["operator", "cluster", "health", "--address", this.address], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 5_000,
      });
      return out.includes("SERVING");
    } catch {
      return false;
    }
  }
}

/** A `sluice worker` process; its output is kept for assertions. */
export class WorkerProcess {
  output = "";
  readonly child: ChildProcess;

  constructor(
    temporal: string,
    db: string,
    /** Its installation home: where its connectors are installed and run from. */
    readonly home: string,
    extra: string[] = [],
    env: NodeJS.ProcessEnv = {},
  ) {
    const args = [sluiceBin, "worker", "--temporal", temporal, "--db", db, ...extra];
    // A process group of its own, so that stop() can end all of it.
    this.child = spawn(process.execPath, args, {
      env: { ...process.env, SLUICE_HOME: home, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.child.stdout?.on("data", (d) => (this.output += d));
    this.child.stderr?.on("data", (d) => (this.output += d));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async ready(): Promise<void> {
    await until(() => {
      if (this.child.exitCode !== null) throw new Error(`worker exited ${this.child.exitCode}:\n${this.output}`);
      return this.output.includes("polls task queue");
    }, "the worker to poll");
  }

  /**
   * Ends the worker and everything it started, also after a test killed it with -9: SIGTERM to its
   * group (SIGKILL after 15 s), then the connectors it left (each in a group of its own, recorded in
   * its home with their start times) are stopped as the next start of Sluice would, by its reaper.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, "exit");
      signalGroup(this.pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(this.pid, "SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await reapLeftovers(join(this.home, "running"));
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

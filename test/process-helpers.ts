/** Helpers for the tests of child processes: waiting on conditions, finding a host's children in /proc. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { isRunning, type ProcessIdentity } from "../src/process/cleanup.js";
import { processGroupOf, runningPids, startTicks } from "../src/process/proc.js";
import { processTree, root, until } from "./helpers.js";

export type Hooks = { after(fn: () => void | Promise<void>): void };

const STOP_GRACE_MS = 10_000;

const OUTPUT_GRACE_MS = 5_000;

export interface Background {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  /** The exit code, or 128 + the signal that ended it. */
  exited: Promise<number | null>;
}

/** A program in the background (a Sluice, a host), its output collected. */
export function background(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): Background {
  const child = spawn(program, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (data) => (stdout += data));
  child.stderr!.on("data", (data) => (stderr += data));
  const closed = new Promise((resolve) => child.on("close", resolve));
  // Its output is read to the end, but not for ever: a child it leaves behind may hold the pipes open.
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => {
      const status = code ?? (signal ? 128 + constants.signals[signal] : null);
      const timer = setTimeout(() => resolve(status), OUTPUT_GRACE_MS);
      void closed.then(() => (clearTimeout(timer), resolve(status)));
    }),
  );
  return { child, pid: child.pid!, stdout: () => stdout, stderr: () => stderr, exited };
}

/** A process, told apart from a later one reusing its pid. */
export type Process = ProcessIdentity;
export { isRunning };

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** The process `parent` started whose command line matches `which` (any by default), once it runs. */
export async function childOf(parent: number, which = /./): Promise<Process> {
  let found: Process | undefined;
  await until(() => {
    const pid = runningPids().find((p) => parentOf(p) === parent && which.test(commandLine(p)));
    const ticks = pid === undefined ? undefined : startTicks(pid);
    if (pid !== undefined && ticks !== undefined) found = { pid, ticks };
    return found !== undefined;
  }, "the connector to start");
  return found!;
}

/** The processes `ancestor` started, directly or not, whose command line matches `which`. */
export function descendantsOf(ancestor: number, which: RegExp): Process[] {
  const all = runningPids();
  const found: number[] = [];
  for (let frontier = [ancestor]; frontier.length > 0; found.push(...frontier))
    frontier = all.filter((pid) => frontier.includes(parentOf(pid) ?? -1));
  return found
    .filter((pid) => which.test(commandLine(pid)))
    .map((pid) => ({ pid, ticks: startTicks(pid) ?? "" }))
    .filter((p) => p.ticks);
}

/**
 * Waits (up to `boundMs`) for `processes` to exit, as a killed host's
 * connectors should by themselves; returns those still running then.
 */
export async function stillRunningAfter(processes: Process[], boundMs: number): Promise<Process[]> {
  await until(() => !processes.some(isRunning), "the processes to exit", boundMs).catch(() => undefined);
  return processes.filter(isRunning);
}

/**
 * After the test, `child` and everything it started are stopped: SIGTERM first (a Sluice then stops its
 * connectors), and after a bounded grace SIGKILL to every process group of its family as it was before: Sluice
 * starts each connector in a group of its own, which a hung or killed Sluice would leave behind. The test
 * runner's own group (a child not started detached shares it) is spared: such members are killed one by one.
 */
export function stopAfter(t: Hooks, child: ChildProcess): void {
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const family = processTree(child.pid)
      .map(({ pid }) => ({ pid, ticks: startTicks(pid), group: processGroupOf(pid) }))
      .filter((member) => member.ticks !== undefined);
    child.kill("SIGTERM");
    await Promise.race([once(child, "exit"), delay(STOP_GRACE_MS)]);
    const own = processGroupOf(process.pid);
    for (const member of family) {
      if (startTicks(member.pid) !== member.ticks) continue; // gone, or its pid reused by another process
      try {
        process.kill(member.group !== undefined && member.group !== own ? -member.group : member.pid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
  });
}

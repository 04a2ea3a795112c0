/**
 * What Linux's /proc says about a process: its start time (clock ticks since
 * boot, which with the boot id tells a process from a later one that reuses
 * its pid), its process group and its environment. Elsewhere every answer is
 * "unknown", and unknown processes are never signalled.
 */
import { readdirSync, readFileSync } from "node:fs";

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Fields 3 onwards of /proc/<pid>/stat (the command name, field 2, may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** When `pid` started, in clock ticks since boot; undefined if it is not running (or /proc is missing). */
export function startTicks(pid: number): string | undefined {
  const fields = statFields(pid);
  const state = fields?.[0];
  if (!fields || state === "Z" || state === "X") return undefined; // a zombie has finished
  return fields[19];
}

export function processGroupOf(pid: number): number | undefined {
  const group = statFields(pid)?.[2];
  return group === undefined ? undefined : Number(group);
}

/** Changes at every boot: pids and start times recorded under another boot mean nothing. */
export function bootId(): string | undefined {
  return read("/proc/sys/kernel/random/boot_id")?.trim();
}

export function environmentHas(pid: number, entry: string): boolean {
  return read(`/proc/${pid}/environ`)?.split("\0").includes(entry) ?? false;
}

/** A running process as /proc lists it; `command` is the kernel's short name (field 2 of stat). */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  command: string;
}

/** `pid` as /proc lists it; undefined if it is not running (a zombie has finished) or /proc is missing. */
export function processEntry(pid: number): ProcessEntry | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const close = stat.lastIndexOf(")");
  const [state, ppid] = stat.slice(close + 2).split(" ");
  if (state === "Z" || state === "X") return undefined;
  return { pid, ppid: Number(ppid), command: stat.slice(stat.indexOf("(") + 1, close) };
}

/** Whether /proc tells processes apart here (it finds this one's start time). */
export function tellsProcessesApart(): boolean {
  return startTicks(process.pid) !== undefined;
}

/** Whether `pid` is this process's parent, grandparent, and so on (false where /proc is missing). */
export function isAncestor(pid: number): boolean {
  for (let current = process.ppid; current > 1; ) {
    if (current === pid) return true;
    const entry = processEntry(current);
    if (!entry) return false;
    current = entry.ppid;
  }
  return false;
}

/** Every running process (none where /proc is missing). */
export function runningProcesses(): ProcessEntry[] {
  return runningPids()
    .map(processEntry)
    .filter((entry): entry is ProcessEntry => entry !== undefined);
}

export function runningPids(): number[] {
  try {
    return readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

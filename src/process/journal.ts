/**
 * What a running Sluice has started, kept on disk (`<dir>/<run id>.json`,
 * the CLI puts it under $SLUICE_HOME/running) so that a Sluice killed with
 * `kill -9`, or crashed, leaves a trail: the next start reaps the connectors
 * it left running and removes its temp folders.
 *
 * A record is only acted on when its host is gone (its pid is free, or now
 * belongs to a process started at another time), and a process is only
 * signalled when it is provably the one started: the group leader with the
 * recorded start time, or a member of that group carrying the dead host's
 * run id in its environment. A recycled pid is never killed.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { cleanup, type GroupRecord, RUN_ID_VARIABLE, runId, type Snapshot } from "./cleanup.js";
import { FOLDER_PREFIX } from "./folders.js";
import { bootId, environmentHas, processEntry, processGroupOf, runningPids, startTicks } from "./proc.js";
import { delay, STOP_GRACE } from "./stop.js";

interface JournalFile extends Snapshot {
  bootId: string | undefined;
  hostPid: number;
  hostStartTicks: string | undefined;
}

/** What was reaped from one dead host's record. */
export interface Reaped {
  hostPid: number;
  /** The groups that were still running and were stopped. */
  stopped: GroupRecord[];
  removedFolders: string[];
}

const POLL_MS = 50;

/** From now on, keeps this process's record in `dir` (removed once nothing is left to clean up). */
export function keepJournal(dir: string): void {
  const file = join(dir, `${runId()}.json`);
  cleanup.record((snapshot) => {
    if (snapshot.groups.length === 0 && snapshot.folders.length === 0 && !snapshot.starting) return removeQuietly(file);
    const record: JournalFile = {
      ...snapshot,
      bootId: bootId(),
      hostPid: process.pid,
      hostStartTicks: startTicks(process.pid),
    };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(record), { mode: 0o600 });
    renameSync(temp, file);
  });
}

/**
 * A record (`<run id>.json`), or the copy its host was writing when it was killed (`<run id>.json.<pid>.tmp`,
 * renamed over the record once whole): its newest snapshot, reaped the same way.
 */
const RECORD_NAME = /\.json(\.\d+\.tmp)?$/;
/** A run id (pid and start time) at the start of a record's name. */
const RUN_ID_NAME = /^(\d+)-(\d+)\./;

/** Stops the connectors and removes the temp folders that hosts no longer running left in `dir`. */
export async function reapLeftovers(dir: string): Promise<Reaped[]> {
  const own = runId();
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => RECORD_NAME.test(name) && !name.startsWith(`${own}.`));
  } catch {
    return [];
  }
  const reaped: Reaped[] = [];
  for (const name of names) {
    const record = claim(join(dir, name));
    if (record) reaped.push(await reap(record));
  }
  return reaped.filter((r) => r.stopped.length > 0 || r.removedFolders.length > 0);
}

/** Takes a dead host's record for this process alone (a rename), or undefined if it is not one. */
function claim(file: string): JournalFile | undefined {
  let record: JournalFile;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as JournalFile;
  } catch {
    // A copy cut short by its host's death says nothing more: removed. Otherwise being replaced, or
    // already claimed by another Sluice.
    if (file.endsWith(".tmp") && !hostOfNameRuns(basename(file))) removeQuietly(file);
    return undefined;
  }
  const sameBoot = record.bootId !== undefined && record.bootId === bootId();
  if (sameBoot && record.hostStartTicks !== undefined && startTicks(record.hostPid) === record.hostStartTicks)
    return undefined; // its host is still running
  const claimed = `${file}.reaping-${process.pid}`;
  try {
    renameSync(file, claimed);
  } catch {
    return undefined;
  }
  removeQuietly(claimed);
  if (!sameBoot) record.groups = []; // after a reboot no recorded process can still run
  return record;
}

/** Whether the host a record's file name names (its run id: pid and start time) still runs. */
function hostOfNameRuns(name: string): boolean {
  const [, pid, ticks] = RUN_ID_NAME.exec(name) ?? [];
  return pid !== undefined && startTicks(Number(pid)) === ticks;
}

async function reap(record: JournalFile): Promise<Reaped> {
  const stillRunning = (group: GroupRecord) => members(group, record.runId).length > 0;
  const running = [...record.groups, ...unrecordedGroups(record)].filter(stillRunning);
  for (const group of running) signalAll(group, record.runId, "SIGTERM");
  for (let waited = 0; waited < STOP_GRACE.afterTerminateMs && running.some(stillRunning); waited += POLL_MS)
    await delay(POLL_MS);
  for (const group of running) signalAll(group, record.runId, "SIGKILL");
  const removedFolders = record.folders.filter((folder) => basename(folder).startsWith(FOLDER_PREFIX));
  for (const folder of removedFolders) rmSync(folder, { recursive: true, force: true });
  return { hostPid: record.hostPid, stopped: running, removedFolders };
}

/**
 * The groups of processes carrying the dead host's run id that its record
 * does not name: a child started just before the kill, before its group was
 * recorded. The run id (pid and start time) is this host's alone, so each
 * such process is provably one it started.
 */
function unrecordedGroups(record: JournalFile): GroupRecord[] {
  // Under another boot, a later host may have the same pid and start time, and so the same run id.
  if (record.bootId === undefined || record.bootId !== bootId()) return [];
  const recorded = new Set(record.groups.map((group) => group.pgid));
  const tag = `${RUN_ID_VARIABLE}=${record.runId}`;
  const groups = new Map<number, GroupRecord>();
  for (const pid of runningPids()) {
    const pgid = processGroupOf(pid);
    if (pgid === undefined || recorded.has(pgid) || groups.has(pgid) || !environmentHas(pid, tag)) continue;
    // No start time: only its members that carry the run id are signalled (see members).
    groups.set(pgid, { pgid, startTicks: undefined, command: processEntry(pid)?.command ?? String(pid) });
  }
  return [...groups.values()];
}

/**
 * The processes of a recorded group that are provably the ones started: while
 * the leader with the recorded start time runs, the group id cannot have been
 * reused, so every member is; without it, only members carrying the dead
 * host's run id.
 */
function members(group: GroupRecord, hostRunId: string): number[] {
  const inGroup = runningPids().filter((pid) => processGroupOf(pid) === group.pgid && startTicks(pid) !== undefined);
  const leaderAlive = group.startTicks !== undefined && startTicks(group.pgid) === group.startTicks;
  if (leaderAlive) return inGroup;
  const tag = `${RUN_ID_VARIABLE}=${hostRunId}`;
  return inGroup.filter((pid) => environmentHas(pid, tag));
}

function signalAll(group: GroupRecord, hostRunId: string, signal: NodeJS.Signals): void {
  for (const pid of members(group, hostRunId)) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/**
 * The one registry of what this Sluice process has started and must not
 * leave behind: child process groups and private temp folders. Children and
 * folders register themselves (child.ts, folders.ts) and leave when they are
 * gone; whatever is still here when the process exits is killed and removed
 * (the `exit` hook), on Ctrl-C it is stopped (signals.ts), and a recorder
 * (journal.ts) keeps a copy on disk so the next start can reap what a
 * `kill -9` left.
 */
import { rmSync } from "node:fs";
import { isAncestor, startTicks, tellsProcessesApart } from "./proc.js";

/** Set in every child's environment: finds its processes even after the group leader is gone. */
export const RUN_ID_VARIABLE = "SLUICE_RUN_ID";

let ownRunId: string | undefined;

/** This process, told apart from any later one with the same pid: "<pid>-<start ticks>". */
export function runId(): string {
  ownRunId ??= `${process.pid}-${startTicks(process.pid) ?? Date.now()}`;
  return ownRunId;
}

/** A process, told apart from a later one given the same pid by its start time. */
export interface ProcessIdentity {
  pid: number;
  ticks: string;
}

/**
 * The Sluice process that started this one, named by SLUICE_RUN_ID, for a plugin to watch: when it is an
 * ancestor, or has already ended. A host killed between the launch and this look leaves no trace in the
 * process tree, and only a Sluice that has since ended can have named a process that no longer runs; a
 * running process that is no ancestor is some other program's value, inherited. Undefined then, when the
 * variable is unset or malformed, and where /proc cannot tell.
 */
export function startingSluice(env: NodeJS.ProcessEnv = process.env): ProcessIdentity | undefined {
  const match = /^(\d+)-(\d+)$/.exec(env[RUN_ID_VARIABLE] ?? "");
  const pid = Number(match?.[1]);
  if (!match || pid <= 1 || !tellsProcessesApart()) return undefined;
  const host = { pid, ticks: match[2]! };
  return !isRunning(host) || isAncestor(pid) ? host : undefined;
}

/** Whether the process still runs (a later process given its pid is not it). */
export function isRunning(identity: ProcessIdentity): boolean {
  return startTicks(identity.pid) === identity.ticks;
}

/** What the registry needs of a child process group (a ChildGroup). */
export interface TrackedGroup {
  readonly pid: number | undefined;
  stop(): Promise<unknown>;
  signal(signal: NodeJS.Signals): void;
}

export interface GroupRecord {
  /** The process group id: the pid of the process Sluice started, its leader. */
  pgid: number;
  /** The leader's start time (see proc.ts), so a recycled pid is never taken for it. */
  startTicks: string | undefined;
  command: string;
}

export interface Snapshot {
  runId: string;
  groups: GroupRecord[];
  folders: string[];
  /** A child is being started and is not tracked yet: a kill now would leave it without a record. */
  starting: boolean;
}

class CleanupRegistry {
  private readonly groups = new Map<TrackedGroup, GroupRecord>();
  private readonly folders = new Set<string>();
  private startsUnderway = 0;
  private recorder: ((snapshot: Snapshot) => void) | undefined;
  private exitHookInstalled = false;

  /**
   * Called before a child is started, so the record on disk names this host
   * before the child exists: a kill -9 between the start and track() leaves
   * a trail all the same (the child carries this host's run id). The
   * returned function is called once the start has returned.
   */
  beforeStart(): () => void {
    this.startsUnderway++;
    this.changed();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.startsUnderway--;
      this.changed();
    };
  }

  /** Registers a started group; the returned function unregisters it once it has exited. */
  track(group: TrackedGroup, command: string): () => void {
    const pgid = group.pid!;
    this.groups.set(group, { pgid, startTicks: startTicks(pgid), command });
    this.changed();
    return () => {
      if (this.groups.delete(group)) this.changed();
    };
  }

  trackFolder(path: string): () => void {
    this.folders.add(path);
    this.changed();
    return () => {
      if (this.folders.delete(path)) this.changed();
    };
  }

  /** Called with every change (and an empty snapshot once nothing is left). */
  record(recorder: (snapshot: Snapshot) => void): void {
    this.recorder = recorder;
    this.changed();
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** Stops every group with the stop policy, in parallel, then removes the folders. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.groups.keys()].map((group) => group.stop()));
    this.removeFolders();
  }

  /** SIGKILL to every group and the folders removed, synchronously: the last resort. */
  killAll(): void {
    for (const group of this.groups.keys()) group.signal("SIGKILL");
    this.groups.clear();
    this.removeFolders();
  }

  private removeFolders(): void {
    for (const folder of this.folders) rmSync(folder, { recursive: true, force: true });
    this.folders.clear();
    this.changed();
  }

  private changed(): void {
    if (!this.exitHookInstalled) {
      this.exitHookInstalled = true;
      process.on("exit", () => this.killAll());
    }
    this.recorder?.({
      runId: runId(),
      groups: [...this.groups.values()],
      folders: [...this.folders],
      starting: this.startsUnderway > 0,
    });
  }
}

export const cleanup = new CleanupRegistry();

/**
 * Which processes a connector left behind: the processes below this one
 * (read from /proc, Linux), remembered while the connector runs and looked
 * for again once it was stopped. A connector's children that escape its
 * process group (a daemon, a forgotten helper) are caught too.
 */
import { processEntry, runningProcesses, STOP_GRACE } from "../process/index.js";

/** Watches the processes below this one; `leftovers()` names those still alive. */
export class ProcessWatch {
  private readonly seen = new Map<number, string>();

  /** Remembers every process below this one now (call while the connector runs). */
  snapshot(): void {
    const entries = runningProcesses();
    const below = new Set([process.pid]);
    // Parents have lower pids only until pids wrap; a few passes settle any order.
    for (let changed = true; changed; ) {
      changed = false;
      for (const entry of entries)
        if (below.has(entry.ppid) && !below.has(entry.pid)) {
          below.add(entry.pid);
          this.seen.set(entry.pid, entry.command);
          changed = true;
        }
    }
  }

  /** The remembered processes still running, as "pid (command)". */
  leftovers(): string[] {
    return [...this.seen]
      .filter(([pid, command]) => processEntry(pid)?.command === command)
      .map(([pid, command]) => `${pid} (${command})`);
  }

  /** Resolves with how long it took until none of the remembered processes runs, or undefined after `limitMs`. */
  async goneWithin(limitMs: number): Promise<number | undefined> {
    const started = performance.now();
    for (;;) {
      const elapsed = performance.now() - started;
      if (!this.leftovers().length) return elapsed;
      if (elapsed >= limitMs) return undefined;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

const POLL_MS = 25;

/** Judged a little before SIGKILL is due, so the kill itself is never taken for a graceful exit. */
const KILL_MARGIN_MS = 300;
/** How long a stopped connector's processes get to vanish before they count as left behind. */
const LEFTOVER_WAIT_MS = 2_000;

export interface StopVerdict {
  /** How long after the stop began every watched process was gone; undefined when one still ran as SIGKILL fell due. */
  goneMs?: number;
  /** When that was judged, after the stop began. */
  judgedAtMs: number;
  /** Processes still running a moment after the stop completed. */
  left: string[];
  /** The steps of the stop policy the connector got, in words. */
  steps: string;
}

/**
 * Judges a stop by the one stop policy (src/process): a connector with a
 * stop request (go-plugin's Shutdown) gets STOP_GRACE.afterRequestMs to exit,
 * then SIGTERM and afterTerminateMs; the others start at SIGTERM. A connector
 * still running when SIGKILL falls due did not honour the stop.
 */
export async function judgeStop(watch: ProcessWatch, stopping: Promise<unknown>, asked: boolean): Promise<StopVerdict> {
  const judgedAtMs = (asked ? STOP_GRACE.afterRequestMs : 0) + STOP_GRACE.afterTerminateMs - KILL_MARGIN_MS;
  const goneMs = await watch.goneWithin(judgedAtMs);
  await stopping;
  await watch.goneWithin(LEFTOVER_WAIT_MS);
  return { goneMs, judgedAtMs, left: watch.leftovers(), steps: asked ? "Shutdown, then SIGTERM" : "SIGTERM" };
}

/** Whether a stop that succeeded needed SIGTERM after a stop request. */
export const onTermination = (verdict: StopVerdict, asked: boolean): boolean =>
  asked && verdict.goneMs !== undefined && verdict.goneMs > STOP_GRACE.afterRequestMs;

/**
 * The connector's resource limits (Code Climate's spec: combined RSS of the
 * connector's processes ≤ 1 GB at any time, done within 20 minutes). RSS is
 * sampled from /proc for the connector and every process it started.
 */
import { readFileSync } from "node:fs";
import { SluiceError } from "../../errors.js";

export interface ResourceLimits {
  /** Combined RSS in bytes. */
  memoryBytes: number;
  timeMs: number;
  /** How often RSS is sampled. */
  sampleEveryMs?: number;
}

export const DEFAULT_LIMITS: ResourceLimits = { memoryBytes: 1024 ** 3, timeMs: 20 * 60_000 };

export class LimitExceededError extends SluiceError {
  constructor(
    connector: string,
    readonly limit: "memory" | "time",
    detail: string,
  ) {
    super("LIMIT_EXCEEDED", `connector "${connector}" was killed: ${detail}`);
  }
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s` : `${seconds.toFixed(1)} s`;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/status`));
  return match ? Number(match[1]) * 1024 : 0;
}

function childrenOf(pid: number): number[] {
  return readOr(`/proc/${pid}/task/${pid}/children`).split(" ").filter(Boolean).map(Number);
}

/** RSS of `pid` and all its descendants. */
export function treeRss(pid: number): number {
  let total = 0;
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    total += rssOf(next);
    pending.push(...childrenOf(next));
  }
  return total;
}

/** Watches one process tree; calls `onBreach` once, with the error to fail with. */
export class LimitWatch {
  peakRssBytes = 0;
  private readonly sampler: NodeJS.Timeout;
  private readonly deadline: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(pid: number, connector: string, limits: ResourceLimits, onBreach: (error: LimitExceededError) => void) {
    let breached = false;
    const breach = (error: LimitExceededError) => {
      if (breached) return;
      breached = true;
      this.stop();
      onBreach(error);
    };
    this.sampler = setInterval(() => {
      const rss = treeRss(pid);
      this.peakRssBytes = Math.max(this.peakRssBytes, rss);
      if (rss > limits.memoryBytes) {
        breach(
          new LimitExceededError(
            connector,
            "memory",
            `its processes' combined RSS reached ${formatBytes(rss)}, over the memory limit of ${formatBytes(limits.memoryBytes)}`,
          ),
        );
      }
    }, limits.sampleEveryMs ?? 100);
    this.deadline = setTimeout(() => {
      breach(
        new LimitExceededError(
          connector,
          "time",
          `it ran for ${formatDuration(Date.now() - this.started)}, over the time limit of ${formatDuration(limits.timeMs)}`,
        ),
      );
    }, limits.timeMs);
    this.sampler.unref();
    this.deadline.unref();
  }

  stop(): void {
    clearInterval(this.sampler);
    clearTimeout(this.deadline);
  }
}

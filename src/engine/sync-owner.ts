/**
 * This process as the owner of the syncs it runs (see SyncOwner in src/stores): "<host> <pid>-<start
 * ticks>". A sync recorded by a process of this machine that no longer runs was interrupted; one recorded
 * on another machine, or where /proc cannot tell, is not judged.
 */
import { hostname } from "node:os";
import { isRunning, runId, tellsProcessesApart } from "../process/index.js";
import type { SyncOutcome, SyncOwner } from "../stores/types.js";

const OWNER = /^(.+) (\d+)-(\d+)$/;

function parse(id: string): { host: string; pid: number; ticks: string } | undefined {
  const match = OWNER.exec(id);
  return match ? { host: match[1]!, pid: Number(match[2]), ticks: match[3]! } : undefined;
}

/** Ends of this process's syncs whose log entry could not be closed, by store location and entry. */
const unrecordedEnds = new Map<string, SyncOutcome>();
const endKey = (location: string, entryId: number) => `${location}\n${entryId}`;

/**
 * Keeps how a sync ended whose log entry could not be closed (the store was out of reach): the
 * connector's next sync in this process closes the entry with it (SyncOwner.unrecordedEnd), where it
 * would otherwise be refused for as long as this process runs, its entry saying "running".
 */
export function keepUnrecordedEnd(location: string, entryId: number, outcome: SyncOutcome): void {
  unrecordedEnds.set(endKey(location, entryId), outcome);
}

export const THIS_PROCESS: SyncOwner = {
  get id() {
    return `${hostname()} ${runId()}`;
  },
  stillRuns(id) {
    const owner = parse(id);
    if (!owner || owner.host !== hostname() || !tellsProcessesApart()) return undefined;
    return isRunning(owner);
  },
  describe(id) {
    const owner = parse(id);
    return owner ? `Sluice process ${owner.pid} on ${owner.host}` : `"${id}"`;
  },
  unrecordedEnd(location, entryId) {
    return unrecordedEnds.get(endKey(location, entryId));
  },
};

/**
 * This process as the owner of the syncs it runs (see SyncOwner in src/stores): "<host> <pid>-<start
 * ticks>". A sync recorded by a process of this machine that no longer runs was interrupted; one recorded
 * on another machine, or where /proc cannot tell, is not judged.
 */
import { hostname } from "node:os";
import { isRunning, runId, tellsProcessesApart } from "../process/index.js";
import type { SyncOwner } from "../stores/types.js";

const OWNER = /^(.+) (\d+)-(\d+)$/;

function parse(id: string): { host: string; pid: number; ticks: string } | undefined {
  const match = OWNER.exec(id);
  return match ? { host: match[1]!, pid: Number(match[2]), ticks: match[3]! } : undefined;
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
};

/**
 * What a Sluice killed with `kill -9` (or crashed) left behind: before a
 * command runs, the connectors it left running are stopped and its temp
 * folders removed; then this run's own record is kept, under
 * $SLUICE_HOME/running, for the next start to do the same.
 */
import { join } from "node:path";
import type { Logger } from "../logging.js";
import { keepJournal, reapLeftovers } from "../process/index.js";
import { sluiceHome } from "../registry/index.js";

export async function reapAndRecord(logger: Logger): Promise<void> {
  const dir = join(sluiceHome(), "running");
  for (const { hostPid, stopped, removedFolders } of await reapLeftovers(dir)) {
    for (const group of stopped)
      logger.warn(`stopped a connector that Sluice process ${hostPid} left running when it died: ${group.command}`, {
        processGroup: group.pgid,
      });
    if (removedFolders.length)
      logger.warn(`removed ${removedFolders.length} temp folder(s) that Sluice process ${hostPid} left behind`, {
        folders: removedFolders,
      });
  }
  keepJournal(dir);
}

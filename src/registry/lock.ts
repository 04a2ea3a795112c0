/**
 * One install, update or remove of a name at a time: a lock file created
 * exclusively, holding the owner's pid. A lock whose process is gone (killed
 * mid-install) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { RegistryError } from "./errors.js";

export function acquireLock(file: string, name: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(file, "utf8").trim());
      if (isAlive(owner)) {
        throw new RegistryError(
          "INSTALL_BUSY",
          `connector "${name}" is being installed, updated or removed by process ${owner}; wait for it to finish (or delete ${file} if that process is not Sluice)`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new RegistryError("INSTALL_BUSY", `cannot take the lock ${file} for connector "${name}"`);
}

/** Whether a process with this id runs (on this host); EPERM means it does, as someone else. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

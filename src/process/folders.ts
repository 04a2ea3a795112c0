/**
 * Private temp folders (mode 0700: they hold connector configs with secrets,
 * and sockets), registered for cleanup so that no exit, Ctrl-C or crash of
 * Sluice leaves one behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanup } from "./cleanup.js";

/** Every folder's name starts with this: the reaper removes nothing else. */
export const FOLDER_PREFIX = "sluice-";

export interface PrivateFolder {
  readonly path: string;
  remove(): void;
}

/** A new folder `<parent>/sluice-<purpose>-XXXXXX`, removed by `remove()` or when Sluice exits. */
export function privateFolder(purpose: string, parent = tmpdir()): PrivateFolder {
  const path = mkdtempSync(join(parent, `${FOLDER_PREFIX}${purpose}-`));
  const release = cleanup.trackFolder(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      release();
    },
  };
}

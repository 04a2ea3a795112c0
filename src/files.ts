/**
 * Replacing a file so that a crash at any moment leaves either the old
 * content or the new, never a mix or nothing: the new content goes to a
 * private temp file beside it (same file system, so the rename is atomic),
 * is fsynced, renamed over the old name, and the folder is fsynced so the
 * rename itself survives a power loss. Used for files whose loss costs
 * more than a re-run, like a source's freshly rotated refresh token.
 * And files that stay their owner's alone: created 0600, or under a
 * private umask while a library creates them as it goes.
 * A leaf module: imports nothing of ours.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Writes `text` to `path` atomically and durably; the file is left with `mode` (default 0600: owner only). */
export function replaceFileDurably(path: string, text: string, mode = 0o600): void {
  const folder = dirname(path);
  const temp = join(folder, `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", mode);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncFolder(folder);
}

/** fsync on a folder makes the entries renamed or created in it durable. */
export function syncFolder(folder: string): void {
  const fd = openSync(folder, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `path` empty with mode 0600 unless it exists. Databases are made
 * this way before SQLite opens them: SQLite gives its -wal and -shm files the
 * database file's mode, and the umask alone (often 022) would leave all
 * three readable by every user.
 */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

let privateHolders = 0;
let umaskBefore: number | undefined;

/**
 * Makes every file this process creates its user's alone until the returned release is called
 * (holds nest). For libraries that create files as they go with the umask's mode: DuckDB deletes
 * and re-creates its write-ahead log (the rows being written) and its spill folder during a sync,
 * so a private file made beforehand, as for SQLite, would not last. Processes started meanwhile
 * inherit the mask.
 */
export function holdPrivateUmask(): () => void {
  if (privateHolders++ === 0) {
    umaskBefore = process.umask(0o077);
    process.umask(umaskBefore | 0o077); // a stricter mask stays as strict
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--privateHolders === 0 && umaskBefore !== undefined) process.umask(umaskBefore);
  };
}

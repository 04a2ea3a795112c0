/**
 * The DuckDB instances of this process, one per file written, shared by every store of that file.
 * DuckDB's lock on a file keeps other processes out but not a second instance in this one (the lock
 * is the process's), which would write the file behind the first's back: rows and sync log entries
 * committed by one lost to the other. So each store of a file takes a connection of its own on the
 * file's one instance, which closes with its last store. Read-only and in-memory stores keep their own.
 */
import type { DuckDBInstance } from "./binding.js";

export interface SharedInstance {
  readonly instance: Promise<DuckDBInstance>;
  /** DuckDB's memory limit, the instance's: raised by whichever of its stores needs more. */
  memoryMb: number;
  users: number;
}

const byFile = new Map<string, SharedInstance>();

/** The instance of `file` (made with `create` when none is open), counted as used once more. */
export function useInstance(
  file: string,
  options: { shared: boolean; memoryMb: number },
  create: (memoryMb: number) => Promise<DuckDBInstance>,
): SharedInstance {
  const open = options.shared ? byFile.get(file) : undefined;
  if (open) {
    open.users++;
    return open;
  }
  const made: SharedInstance = { instance: create(options.memoryMb), memoryMb: options.memoryMb, users: 1 };
  if (options.shared) {
    byFile.set(file, made);
    // One that could not open (the file held by another process) is not handed out again.
    made.instance.catch(() => forget(file, made));
  }
  return made;
}

/** Counts one use less; the last closes the instance. */
export async function releaseInstance(file: string, used: SharedInstance): Promise<void> {
  if (--used.users > 0) return;
  forget(file, used);
  (await used.instance.catch(() => undefined))?.closeSync();
}

function forget(file: string, used: SharedInstance): void {
  if (byFile.get(file) === used) byFile.delete(file);
}

/** How a child process ended, and the one way Sluice puts it into words. */

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  spawnError?: NodeJS.ErrnoException;
}

/** "exited with code 3", "was killed by SIGKILL", "could not be started (ENOENT)". */
export function describeExit(status: ExitStatus): string {
  if (status.spawnError) return `could not be started (${status.spawnError.code ?? status.spawnError.message})`;
  if (status.signal) return `was killed by ${status.signal}`;
  return `exited with code ${status.code}`;
}

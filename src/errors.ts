/**
 * The root of Sluice's typed errors. Every error a user can meet carries a
 * stable `code` (for `--json` output and tests) and a message that says what is
 * wrong, where, and what to do. A leaf module: imports nothing of ours.
 */
export class SluiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The message of anything thrown, for wrapping foreign errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

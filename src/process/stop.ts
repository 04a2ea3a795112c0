/**
 * The one stop policy for every child Sluice starts (as go-plugin's
 * Client.Kill): ask it to finish (go-plugin's Shutdown, where the protocol
 * has one) and wait, then SIGTERM its process group and wait, then SIGKILL.
 */

/** How long a stopping child gets at each step before the next, stronger one. */
export const STOP_GRACE = {
  /** After the polite request: time to finish its work and exit on its own (go-plugin waits 2 s). */
  afterRequestMs: 2_000,
  /** After SIGTERM: time to clean up (close files, release a replication slot) before SIGKILL. */
  afterTerminateMs: 3_000,
} as const;

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What `done` resolves to, or `fallback` once `ms` have passed; leaves no timer behind to hold the process open. */
export async function within<T, F>(done: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves true if `done` settles within `ms`, false otherwise; leaves no timer behind. */
export function settlesWithin(done: Promise<unknown>, ms: number): Promise<boolean> {
  return within(
    done.then(() => true),
    ms,
    false,
  );
}

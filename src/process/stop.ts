/**
 * The one stop policy for every child Sluice starts (as go-plugin's
 * Client.Kill): ask it to finish (go-plugin's Shutdown, where the protocol
 * has one) and wait, then SIGTERM its process group and wait, then SIGKILL.
 */
import { within } from "../async.js";

export { within };

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

/** Resolves true if `done` settles within `ms`, false otherwise; leaves no timer behind. */
export function settlesWithin(done: Promise<unknown>, ms: number): Promise<boolean> {
  return within(
    done.then(() => true),
    ms,
    false,
  );
}

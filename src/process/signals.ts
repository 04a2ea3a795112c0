/**
 * Ctrl-C, SIGTERM and SIGHUP for a Sluice command. Connectors run in process
 * groups of their own (so a terminal's Ctrl-C reaches only Sluice), which
 * makes stopping them Sluice's job:
 *
 * - the first signal goes to the command's own handlers (`onInterrupt`: a
 *   sync stops at a checkpoint, a pipeline drains); a command without one
 *   (spec, check, discover, a sync still starting its connector) stops every
 *   child with the stop policy, removes its temp folders and exits;
 * - a second signal kills every child group with SIGKILL, removes the temp
 *   folders and exits at once.
 *
 * The exit code is 128 + the signal's number (130 for Ctrl-C), as shells do.
 */
import { constants } from "node:os";
import { cleanup } from "./cleanup.js";

export const INTERRUPT_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

const listeners = new Set<(signal: InterruptSignal) => void>();
let installed = false;
let received = 0;
let notify: (message: string) => void = () => {};

export function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/** Installs the handlers; call once, before anything starts a child. `tell` shows what is being done. */
export function handleInterrupts(tell: (message: string) => void): void {
  notify = tell;
  if (installed) return;
  installed = true;
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, () => interrupted(signal));
}

/** Lets a command stop gracefully on the first signal; returns the function that removes the listener. */
export function onInterrupt(listener: (signal: InterruptSignal) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function interrupted(signal: InterruptSignal): void {
  received++;
  if (received > 1) {
    if (cleanup.groupCount > 0) notify(`${signal} again: killing what Sluice started (SIGKILL)`);
    cleanup.killAll();
    process.exit(exitCodeFor(signal));
  }
  if (listeners.size > 0) {
    for (const listener of [...listeners]) listener(signal);
    return;
  }
  if (cleanup.groupCount > 0) notify(`${signal}: stopping what Sluice started (${signal} again to kill it at once)`);
  void cleanup.stopAll().finally(() => process.exit(exitCodeFor(signal)));
}

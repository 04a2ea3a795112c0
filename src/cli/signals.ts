/** Waiting for the user (or a supervisor) to stop a long-running command. */
import { type InterruptSignal, onInterrupt } from "../process/index.js";

/**
 * Resolves with the first Ctrl-C, SIGTERM or SIGHUP, taken from src/process's
 * handlers (so the command stops gracefully; a second signal still kills what
 * Sluice started and exits at once).
 */
export function untilSignal(): Promise<InterruptSignal> {
  return new Promise((resolve) => {
    const stopHandling = onInterrupt((signal) => {
      stopHandling();
      resolve(signal);
    });
  });
}

/**
 * src/process — child processes, in one place (as go-plugin keeps them in
 * internal/cmdrunner): spawning in a process group of its own (child.ts), the
 * one stop policy (stop.ts), how a process ended in words (exit.ts), lines
 * and bounded output (lines.ts, tail.ts), private temp folders (folders.ts),
 * and making sure none of it outlives Sluice: the cleanup registry
 * (cleanup.ts), Ctrl-C/SIGTERM/SIGHUP (signals.ts), the on-disk record
 * that lets the next start reap what a crashed Sluice left (journal.ts), and
 * what /proc says of a process (proc.ts).
 *
 * May import: src/errors.ts, src/async.ts. Knows nothing of protocols, drivers, stores or
 * the CLI.
 */
export {
  argvOf,
  ChildGroup,
  describeCommand,
  type LaunchCommand,
  queryOutput,
  type SpawnOptions,
} from "./child.js";
export { cleanup, isRunning, type ProcessIdentity, runId, startingSluice } from "./cleanup.js";
export { describeExit, type ExitStatus } from "./exit.js";
export { type PrivateFolder, privateFolder } from "./folders.js";
export { keepJournal, type Reaped, reapLeftovers } from "./journal.js";
export {
  CAPTURE_MAX_BYTES,
  formatSize,
  LineSplitter,
  type LineLimit,
  LOG_LINE_MAX_BYTES,
  MESSAGE_LINE_MAX_BYTES,
  OutputTooLargeError,
  readAtMost,
  readLines,
} from "./lines.js";
export { type ProcessEntry, processEntry, runningProcesses, tellsProcessesApart } from "./proc.js";
export { exitCodeFor, handleInterrupts, type InterruptSignal, onInterrupt } from "./signals.js";
export { delay, STOP_GRACE, settlesWithin, within } from "./stop.js";
export { OutputTail, TAIL_CHARS, TAIL_LINES } from "./tail.js";

/**
 * A sync saying, while it runs, that it still does (Store.markAlive): a claim made on another machine
 * cannot see this process, and judges the entry by it (settleRunning). The beats take turns with the
 * sync's own writes, as both may use the one connection of the store, and a beat never fails the sync.
 */
import type { Store } from "../stores/types.js";

/**
 * How often a running sync says so: ten missed beats (SILENT_LIMIT_SECONDS) and other machines take it
 * to have died. SLUICE_SYNC_HEARTBEAT_SECONDS may only make it more often (the tests watch beats).
 */
const HEARTBEAT_MS = Math.min(30, Number(process.env.SLUICE_SYNC_HEARTBEAT_SECONDS) || 30) * 1000;

export interface SyncHeartbeat {
  /** Runs `write` once the beat or write before it has ended. */
  turn<T>(write: () => Promise<T>): Promise<T>;
  /** No more beats; resolves once the one under way, if any, has ended. */
  stop(): Promise<void>;
}

export function startHeartbeat(ledger: Store, syncId: number): SyncHeartbeat {
  const markAlive = ledger.markAlive?.bind(ledger);
  if (!markAlive) return { turn: (write) => write(), stop: async () => {} };
  let last: Promise<unknown> = Promise.resolve();
  const turn = <T>(work: () => Promise<T>): Promise<T> => {
    const mine = last.then(work, work);
    last = mine.catch(() => undefined);
    return mine;
  };
  const timer = setInterval(() => {
    // A beat that fails (the store gone for a moment) is only a missed beat: the sync's writes report.
    turn(() => markAlive(syncId)).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    turn,
    stop: async () => {
      clearInterval(timer);
      await last;
    },
  };
}

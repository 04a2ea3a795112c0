/**
 * Small promise helpers shared across layers (the process runtime and the
 * engine both bound their waits; stores take turns). Imports nothing.
 */

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

const turns = new Map<string, Promise<unknown>>();

/**
 * Runs `work` once every earlier call with the same key has ended (resolved or not), so that in this
 * process no two run at once; calls with other keys run freely.
 */
export function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  const mine = previous.then(work, work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  turns.set(key, settled);
  void settled.then(() => {
    if (turns.get(key) === settled) turns.delete(key);
  });
  return mine;
}

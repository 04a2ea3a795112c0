/**
 * Small promise helpers shared across layers (the process runtime and the
 * engine both bound their waits). Imports nothing.
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

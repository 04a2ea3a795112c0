/**
 * "Did you mean …?" for a misspelt name (a manifest's field, a PostgreSQL URL's setting): the known
 * name within two edits of it. Imports nothing.
 */

/** The known name closest to `name` within two edits (Levenshtein), compared in lower case; undefined when none is. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let nearest: string | undefined;
  let best = 3;
  for (const candidate of known) {
    const distance = editDistance(candidate, lower);
    if (distance < best) [nearest, best] = [candidate, distance];
  }
  return nearest;
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions turning one into the other. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * A Node test reporter that prints how long each test file took, slowest
 * first, after the run: CI has a 30-minute budget and this is where to look
 * when it grows. Used beside the spec reporter by scripts/test.sh.
 */
import { relative } from "node:path";

export default async function* fileTimes(source) {
  const totals = new Map();
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { file, nesting, details } = event.data;
    if (!file || nesting !== 0) continue;
    totals.set(file, (totals.get(file) ?? 0) + (details?.duration_ms ?? 0));
  }
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  const sum = rows.reduce((total, [, ms]) => total + ms, 0);
  yield `\ntime per test file (sum of its tests; ${Math.round(sum / 1000)} s in all):\n`;
  for (const [file, ms] of rows) {
    yield `${String(Math.round(ms / 1000)).padStart(6)} s  ${relative(process.cwd(), file)}\n`;
  }
}

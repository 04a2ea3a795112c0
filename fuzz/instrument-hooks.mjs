// The module loader hook behind instrument.mjs (runs on the loader thread).
// Only Sluice's own compiled code is instrumented: dependencies' coverage
// would drown the parsers' own branches in noise.
import { fileURLToPath } from "node:url";
import { createInstrumenter } from "istanbul-lib-instrument";

export const COVERAGE_VARIABLE = "__sluiceFuzzCoverage__";
const dist = new URL("../dist/", import.meta.url).href;
const skipped = ["ui/", "codeclimate-connector-sdk/"].map((folder) => dist + folder);
const instrumenter = createInstrumenter({
  coverageVariable: COVERAGE_VARIABLE,
  esModules: true,
  compact: true,
  produceSourceMap: false,
});

export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!url.startsWith(dist) || !url.endsWith(".js") || skipped.some((prefix) => url.startsWith(prefix))) return loaded;
  const source = instrumenter.instrumentSync(String(loaded.source), fileURLToPath(url));
  return { ...loaded, source };
}

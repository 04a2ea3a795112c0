// A small coverage-guided fuzzer (the libFuzzer loop, in JavaScript): an
// input that reaches a counter (statement, branch or function of Sluice's
// code, instrumented by instrument.mjs) in a hit-count bucket no input
// reached before joins the corpus, and new inputs are mutations of the
// corpus. Jazzer.js would do this natively, but its addon cannot load or be
// built here (see README's dependency table), so the loop is ours and the
// counters are istanbul's.
//
// The property every target checks: an input is accepted, or refused with a
// SluiceError carrying a registered code. Anything else thrown is a finding.
import { ERROR_CODES, SluiceError } from "../dist/errors.js";

const COVERAGE_VARIABLE = "__sluiceFuzzCoverage__";
const BUCKETS = 4;
const REFRESH_EVERY = 256;

/** A seeded random source (mulberry32): the same seed replays the same run. */
export function randomSource(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, below: (n) => Math.floor(next() * n) };
}

/**
 * istanbul's counters as typed arrays (its code increments `.s[i]`, `.f[i]`
 * and `.b[i][j]` on whatever the properties hold), so one pass zeroes them
 * and one pass reads them.
 */
class Counters {
  arrays = [];
  files = 0;
  size = 0;

  /** Picks up modules loaded since the last call. */
  refresh() {
    const coverage = globalThis[COVERAGE_VARIABLE] ?? {};
    const files = Object.values(coverage);
    if (files.length === this.files) return;
    for (const file of files.slice(this.files)) {
      file.s = Uint32Array.from(Object.values(file.s));
      file.f = Uint32Array.from(Object.values(file.f));
      for (const key of Object.keys(file.b)) file.b[key] = Uint32Array.from(file.b[key]);
      this.arrays.push(file.s, file.f, ...Object.values(file.b));
    }
    this.files = files.length;
    this.size = this.arrays.reduce((sum, array) => sum + array.length, 0);
  }

  reset() {
    for (const array of this.arrays) array.fill(0);
  }

  /** Calls `onFeature` with each (counter, hit-count bucket) reached since reset(). */
  features(onFeature) {
    let base = 0;
    for (const array of this.arrays) {
      for (let i = 0; i < array.length; i++) {
        const hits = array[i];
        if (hits > 0) onFeature((base + i) * BUCKETS + (hits === 1 ? 0 : hits < 4 ? 1 : hits < 16 ? 2 : 3));
      }
      base += array.length;
    }
  }
}

/** What a target may throw: a SluiceError with a code from the registry. */
export function isClearError(error) {
  return error instanceof SluiceError && Object.hasOwn(ERROR_CODES, error.code);
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x22, 0x7b, 0x7d, 0x7c];

/** One random edit of `input` (libFuzzer's usual ones), using the corpus and the target's dictionary. */
function mutateOnce(input, random, corpus, dictionary) {
  const at = (n) => random.below(n + 1);
  const length = input.length;
  switch (random.below(8)) {
    case 0: // flip a bit
      if (length === 0) return Buffer.from([random.below(256)]);
      input[random.below(length)] ^= 1 << random.below(8);
      return input;
    case 1: // an interesting byte
      if (length === 0) return Buffer.from([INTERESTING[random.below(INTERESTING.length)]]);
      input[random.below(length)] = INTERESTING[random.below(INTERESTING.length)];
      return input;
    case 2: {
      // insert random bytes
      const position = at(length);
      const bytes = Buffer.from(Array.from({ length: 1 + random.below(4) }, () => random.below(256)));
      return Buffer.concat([input.subarray(0, position), bytes, input.subarray(position)]);
    }
    case 3: {
      // delete a range
      if (length === 0) return input;
      const start = random.below(length);
      return Buffer.concat([input.subarray(0, start), input.subarray(start + 1 + random.below(Math.min(16, length - start)))]);
    }
    case 4: {
      // repeat a range
      if (length === 0) return input;
      const start = random.below(length);
      const piece = input.subarray(start, start + 1 + random.below(Math.min(32, length - start)));
      const position = at(length);
      return Buffer.concat([input.subarray(0, position), piece, input.subarray(position)]);
    }
    case 5: {
      // a dictionary word, inserted or overwriting
      if (dictionary.length === 0) return input;
      const word = Buffer.from(dictionary[random.below(dictionary.length)]);
      const position = at(length);
      const rest = random.below(2) ? position : Math.min(length, position + word.length);
      return Buffer.concat([input.subarray(0, position), word, input.subarray(rest)]);
    }
    case 6: {
      // crossover with another corpus entry
      const other = corpus[random.below(corpus.length)];
      const cut = at(length);
      const from = at(other.length);
      return Buffer.concat([input.subarray(0, cut), other.subarray(from)]);
    }
    default:
      // truncate
      return input.subarray(0, at(length));
  }
}

function mutate(parent, random, corpus, dictionary, maxLength) {
  let input = Buffer.from(parent);
  for (let edits = 1 + random.below(4); edits > 0; edits--) input = mutateOnce(input, random, corpus, dictionary);
  return input.length > maxLength ? input.subarray(0, maxLength) : input;
}

/**
 * Fuzzes one target for `seconds` (or `runs` executions, whichever ends
 * first). A target is { name, seeds: (string|Buffer)[], dictionary?: string[],
 * maxLength?, run(input: Buffer) }. Returns the figures and the first finding.
 */
export async function fuzz(target, { seconds = 10, runs = Number.POSITIVE_INFINITY, seed = 1 } = {}) {
  const random = randomSource(seed);
  const counters = new Counters();
  const seen = new Set();
  const corpus = [];
  const dictionary = target.dictionary ?? [];
  const maxLength = target.maxLength ?? 4096;
  let executions = 0;

  /** Runs one input; true when it reached something new. */
  const execute = async (input) => {
    // Modules a parser loads lazily join the counters; looking costs a pass over every file, so not each time.
    if (executions % REFRESH_EVERY === 0) counters.refresh();
    counters.reset();
    executions++;
    try {
      await target.run(input);
    } catch (error) {
      if (!isClearError(error)) return { finding: { input, error } };
    }
    let fresh = false;
    counters.features((feature) => {
      if (!seen.has(feature)) {
        seen.add(feature);
        fresh = true;
      }
    });
    return { fresh };
  };

  const started = Date.now();
  const result = (finding) => ({
    target: target.name,
    executions,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    corpus: corpus.length,
    features: seen.size,
    ...(finding
      ? {
          finding: {
            input: finding.input.toString("base64"),
            error: finding.error instanceof Error ? finding.error.stack : String(finding.error),
          },
        }
      : {}),
  });

  for (const seedInput of target.seeds.map((s) => Buffer.from(s))) {
    const outcome = await execute(seedInput);
    if (outcome.finding) return result(outcome.finding);
    corpus.push(seedInput);
  }
  if (corpus.length === 0) corpus.push(Buffer.alloc(0));
  const deadline = started + seconds * 1000;
  while (executions < runs && Date.now() < deadline) {
    // Newer corpus entries (deeper coverage) are picked more often.
    const parent = corpus[corpus.length - 1 - Math.min(random.below(corpus.length), random.below(corpus.length))];
    const input = mutate(parent, random, corpus, dictionary, maxLength);
    const outcome = await execute(input);
    if (outcome.finding) return result(outcome.finding);
    if (outcome.fresh) corpus.push(input);
  }
  return result();
}

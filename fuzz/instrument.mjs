// `node --import ./fuzz/instrument.mjs …`: Sluice's built modules (dist/) load
// with istanbul's counters in them, so the fuzzer sees which statements,
// branches and functions each input reached (its coverage feedback).
import { register } from "node:module";

register("./instrument-hooks.mjs", import.meta.url);

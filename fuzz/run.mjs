// `npm run fuzz`: fuzzes every target of targets.mjs for --seconds each
// (default 60; FUZZ_SECONDS too), or only --target <name>; prints one JSON
// line per target. A finding (an input that made a parser throw anything but
// a SluiceError with its code) is printed with the input in base64 and
// saved under fuzz/findings/, and the exit code is 1. --seed replays a run.
//
//   node --import ./fuzz/instrument.mjs fuzz/run.mjs --seconds 10 --target manifest
import { mkdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { fuzz } from "./engine.mjs";

if (!process.execArgv.some((arg) => arg.includes("instrument.mjs"))) {
  console.error("run me with: node --import ./fuzz/instrument.mjs fuzz/run.mjs (coverage feedback needs it)");
  process.exit(2);
}
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: process.env.FUZZ_SECONDS ?? "60" },
    target: { type: "string" },
    seed: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
  },
});
const { targets } = await import("./targets.mjs");
const chosen = targets.filter((t) => !values.target || t.name === values.target);
if (chosen.length === 0) {
  console.error(`no target "${values.target}"; targets: ${targets.map((t) => t.name).join(", ")}`);
  process.exit(2);
}

let findings = 0;
for (const target of chosen) {
  const result = await fuzz(target, { seconds: Number(values.seconds), seed: Number(values.seed) });
  if (result.finding) {
    findings++;
    const input = Buffer.from(result.finding.input, "base64");
    const folder = new URL("./findings/", import.meta.url);
    mkdirSync(folder, { recursive: true });
    const file = new URL(`${target.name}-${createHash("sha256").update(input).digest("hex").slice(0, 12)}`, folder);
    writeFileSync(file, input);
    result.finding.file = file.pathname;
  }
  console.log(values.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
}
process.exit(findings > 0 ? 1 : 0);

// `npm run bench`: runs each benchmark in its own process (so peak RSS is its
// own), prints the figures, and prepends them to bench/RESULTS.md with the
// machine and the date, keeping earlier results below for comparison.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

const benches = (process.env.BENCH_ONLY ?? "foundation,qlik,codeclimate").split(",");
const here = fileURLToPath(new URL(".", import.meta.url));
const results = [];
for (const name of benches) {
  const file = `${here}${name}.mjs`;
  if (!existsSync(file)) {
    console.error(`skipping ${name}: ${file} not found`);
    continue;
  }
  console.error(`==> bench ${name}`);
  const output = execFileSync(process.execPath, ["--expose-gc", file], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  for (const line of output.trim().split("\n")) {
    const result = JSON.parse(line);
    results.push(result);
    console.log(JSON.stringify(result, null, 2));
  }
}

const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const section = [`## ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC — ${machine}`, "", "```json", ...results.map((r) => JSON.stringify(r)), "```", ""].join("\n");
const resultsFile = `${here}RESULTS.md`;
const header = "# Benchmark results\n\nNewest first. Ratios compare figures measured in the same run.\n\n";
const previous = existsSync(resultsFile) ? readFileSync(resultsFile, "utf8").replace(header, "") : "";
writeFileSync(resultsFile, header + section + "\n" + previous);
console.error(`results written to ${resultsFile}`);

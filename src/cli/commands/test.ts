/**
 * `sluice test`: the conformance suite (src/conformance) against any
 * connector Sluice runs, reported like a test runner, `--junit` for CI, and a
 * non-zero exit when a check fails.
 */
import { Command } from "commander";
import { writeFileSync } from "node:fs";
import {
  DEFAULT_LIMITS,
  type Limits,
  renderCheck,
  renderJUnit,
  renderSummary,
  runConformance,
  type UnderTest,
} from "../../conformance/index.js";
import { SluiceError } from "../../errors.js";
import { collect, parsePairs } from "../conduit-options.js";
import type { CliContext } from "../context.js";
import { type TestFlags, TEST_PROTOCOLS, underTest } from "../test-target.js";

function positiveInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new SluiceError("USAGE", `${flag} must be a positive whole number (got "${value}")`);
  return number;
}

function limitsFrom(flags: TestFlags): Limits {
  return {
    ...DEFAULT_LIMITS,
    startMs: positiveInteger(flags.startTimeout, "--start-timeout") * 1000,
    maxRecords: positiveInteger(flags.maxRecords, "--max-records"),
  };
}

export function testCommand(context: () => CliContext): Command {
  return new Command("test")
    .description(
      "run the conformance suite against a connector: a report per check, --junit for CI, exit 1 when a check fails",
    )
    .argument(
      "[connector]",
      "an installed connector's name; for Code Climate, also a package folder, module or slug (else use --command)",
    )
    .option("-c, --command <command>", "shell command that starts the connector")
    .option("--cwd <dir>", "working directory for the command")
    .option(
      "--protocol <protocol>",
      `what it speaks: ${TEST_PROTOCOLS.join(", ")} (auto: recorded at install, else detected)`,
      "auto",
    )
    .option("-o, --options <raw>", "options (config) the connector runs with, usually JSON")
    .option("--options-file <path>", "read the options from a file")
    .option("--invalid-options <raw>", "options the connector must refuse (default: derived from its option schema)")
    .option("--config <key=value>", "Conduit: a source config entry (repeatable)", collect, [])
    .option("--destination-config <key=value>", "Conduit: a destination config entry (repeatable)", collect, [])
    .option("--start-timeout <seconds>", "how long starting and the first answer may take", "30")
    .option("--max-records <n>", "records read at most per run", String(DEFAULT_LIMITS.maxRecords))
    .option("--lookback-days <days>", "Code Climate: earliest-data-cutoff of the first run", "90")
    .option("--junit <file>", "also write the report as JUnit XML")
    .addHelpText(
      "after",
      `
Checks, as they apply to the protocol: starts and answers within the time limit;
its option schema is valid and the options pass it; a deliberately invalid
config is refused by Check with a message; Discover's schemas are valid and
their primary keys and cursors exist; every record matches its stream's schema;
pages have sane sizes; an incremental re-run resends nothing; a graceful stop
is honoured and leaves no process; Conduit: a source takes acks in order and
resumes after a position, a destination acks each record in order; nothing but
the protocol on stdout.

Examples:
  sluice test --command ./examples/go/generator/bin/generator --options '{"count": 100}'
  sluice test generator --junit sluice-test.xml   # an installed connector, by name
  sluice test --command "node dist/src/main.js" --protocol c1   # not run: in a c1 project (sluice new x --protocol c1)
  sluice test --command ".venv/bin/source-faker" --protocol airbyte --options '{"count": 50}'   # not run: in a source's folder
  sluice test --command ./conduit-connector-file --protocol conduit --config path=in.txt \\
      --destination-config path=out.txt   # not run: in the connector's folder
  sluice test ./codeclimate-connector-pagerduty --options-file config.json   # not run: needs that package`,
    )
    .action(async (target: string | undefined, flags: TestFlags) => {
      const ctx = context();
      const limits = limitsFrom(flags);
      const sourceConfig = parsePairs(flags.config, "--config");
      const destinationConfig = parsePairs(flags.destinationConfig, "--destination-config");
      const subject: UnderTest = await underTest(target, flags, { sourceConfig, destinationConfig }, ctx.logger);
      const protocol = subject.kind === "conduit" ? "conduit" : subject.protocol;
      // Each check's line as it finishes: the suite takes a while, and the report is its progress.
      if (!ctx.json) process.stdout.write(`sluice test: ${subject.name} (${protocol})\n`);
      const report = await runConformance(subject, limits, ctx.logger, (check) => {
        if (!ctx.json) process.stdout.write(`${renderCheck(check)}\n`);
      });
      if (flags.junit) writeFileSync(flags.junit, renderJUnit(report));
      ctx.result(report, renderSummary(report));
      if (report.failed) process.exitCode = 1;
    });
}

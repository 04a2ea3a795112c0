/**
 * src/conformance — `sluice test`: the conformance suite for every kind of
 * connector Sluice runs, as authors run it in their own CI. A connector under
 * test is opened afresh for the runs that need a fresh instance; each check
 * says passed, failed or skipped with the reason; the report renders like a
 * test runner's, and as JUnit XML.
 *
 * Files: source-suite.ts (native, c1-core, Airbyte, Singer, Code Climate),
 * conduit-suite.ts (Conduit sources and destinations), schemas.ts (JSON
 * Schema judgements), processes.ts (what a stopped connector left running),
 * suite.ts (running checks, watching output), report.ts (outcomes, text, JUnit).
 *
 * May import: src/engine, src/drivers (types, Conduit endpoints), src/process
 * (the stop policy it judges stops by), src/errors.ts, src/logging.ts.
 */
import type { Logger } from "../logging.js";
import type { ConduitLimits, ConduitUnderTest } from "./conduit-suite.js";
import type { CheckReport, ConformanceReport } from "./report.js";
import type { SourceLimits, SourceUnderTest } from "./source-suite.js";
import { runChecks } from "./suite.js";

export type { CheckReport, CheckStatus, ConformanceReport } from "./report.js";
export { renderCheck, renderJUnit, renderSummary, renderText } from "./report.js";
export type { ConduitUnderTest } from "./conduit-suite.js";
export type { SourceProtocol, SourceUnderTest } from "./source-suite.js";

export type Limits = SourceLimits & ConduitLimits;

export const DEFAULT_LIMITS: Limits = {
  startMs: 30_000,
  maxRecords: 10_000,
  maxPageRecords: 100_000,
  idleMs: 3_000,
  maxBatchRecords: 100_000,
};

export type UnderTest = ({ kind: "source" } & SourceUnderTest) | ({ kind: "conduit" } & ConduitUnderTest);

/** Runs the suite for `subject`'s kind; each suite loads only when run (Conduit's brings gRPC and Avro). */
export async function runConformance(
  subject: UnderTest,
  limits: Limits,
  logger: Logger,
  onCheck?: (report: CheckReport) => void,
): Promise<ConformanceReport> {
  if (subject.kind === "conduit") {
    const { conduitChecks } = await import("./conduit-suite.js");
    return runChecks(subject.name, "conduit", conduitChecks(subject, limits, logger), onCheck);
  }
  const { sourceChecks } = await import("./source-suite.js");
  return runChecks(subject.name, subject.protocol, sourceChecks(subject, limits, logger), onCheck);
}

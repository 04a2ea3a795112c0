/**
 * What a conformance run produces: one outcome per check (passed, failed or
 * skipped, always with the reason), rendered like a test runner's report on
 * a terminal and as JUnit XML for CI.
 */

export type CheckStatus = "passed" | "failed" | "skipped";

export interface CheckOutcome {
  status: CheckStatus;
  /** Why, in one line: what was seen, or what was wrong. */
  reason: string;
  /** The first problems found (records breaking their schema, stray output lines), one per line. */
  details?: string[];
}

export interface CheckReport extends CheckOutcome {
  /** Stable id, e.g. "records-match-schemas": what --junit and tests match on. */
  id: string;
  title: string;
  durationMs: number;
}

export interface ConformanceReport {
  connector: string;
  protocol: string;
  checks: CheckReport[];
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export const passed = (reason: string, details?: string[]): CheckOutcome => ({ status: "passed", reason, details });
export const failed = (reason: string, details?: string[]): CheckOutcome => ({ status: "failed", reason, details });
export const skipped = (reason: string): CheckOutcome => ({ status: "skipped", reason });

export function summarize(
  connector: string,
  protocol: string,
  checks: CheckReport[],
  durationMs: number,
): ConformanceReport {
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  return {
    connector,
    protocol,
    checks,
    passed: count("passed"),
    failed: count("failed"),
    skipped: count("skipped"),
    durationMs,
  };
}

const MARKS: Record<CheckStatus, string> = { passed: "✔", failed: "✖", skipped: "-" };

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** One check as a terminal shows it: a line, and its details indented under it. */
export function renderCheck(check: CheckReport): string {
  const time = check.status === "skipped" ? "" : ` (${seconds(check.durationMs)})`;
  return [
    `  ${MARKS[check.status]} ${check.title}: ${check.reason}${time}`,
    ...(check.details ?? []).map((d) => `      ${d}`),
  ].join("\n");
}

/** The totals line, naming the failed checks. */
export function renderSummary(report: ConformanceReport): string {
  const verdict = report.failed ? `FAILED: ${failedIds(report)}` : "all checks passed";
  return `${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped (${seconds(report.durationMs)}): ${verdict}`;
}

/** The report as a terminal shows it: a line per check, then the totals. */
export function renderText(report: ConformanceReport): string {
  return [
    `sluice test: ${report.connector} (${report.protocol})`,
    ...report.checks.map(renderCheck),
    renderSummary(report),
  ].join("\n");
}

const failedIds = (report: ConformanceReport): string =>
  report.checks
    .filter((check) => check.status === "failed")
    .map((check) => check.id)
    .join(", ");

const xml = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // XML 1.0 cannot carry most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** JUnit XML: one testsuite for the connector, one testcase per check (what CI systems read). */
export function renderJUnit(report: ConformanceReport): string {
  const cases = report.checks.map((check) => {
    const open = `    <testcase classname="sluice.conformance.${xml(report.protocol)}" name="${xml(`${check.id}: ${check.title}`)}" time="${(check.durationMs / 1000).toFixed(3)}"`;
    const body = [check.reason, ...(check.details ?? [])].join("\n");
    if (check.status === "passed") return `${open}>\n      <system-out>${xml(body)}</system-out>\n    </testcase>`;
    if (check.status === "skipped") return `${open}>\n      <skipped message="${xml(check.reason)}"/>\n    </testcase>`;
    return `${open}>\n      <failure message="${xml(check.reason)}" type="${xml(check.id)}">${xml(body)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sluice test" tests="${report.checks.length}" failures="${report.failed}" skipped="${report.skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(report.connector)}" tests="${report.checks.length}" failures="${report.failed}" errors="0" skipped="${report.skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

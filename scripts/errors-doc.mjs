#!/usr/bin/env node
// docs/errors.md, rendered from the error registry in src/errors.ts:
// `npm run docs:errors` (after a build) rewrites it; test/errors.test.ts fails when they differ.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ERRORS_DOC = fileURLToPath(new URL("../docs/errors.md", import.meta.url));

/** The page: one section per area, one entry per code, in the registry's order. */
export function renderErrorsDoc(codes) {
  const lines = [
    "# Error codes",
    "",
    "<!-- Generated from src/errors.ts by `npm run docs:errors`; edit the registry, not this file. -->",
    "",
    "Every error Sluice reports carries a stable code: `--json` prints it as `code` on stderr,",
    "the API answers with it, and scripts can match on it. The message says what is wrong and where;",
    "this page says what each code means and what to do.",
  ];
  let area;
  for (const [code, info] of Object.entries(codes)) {
    if (info.area !== area) {
      area = info.area;
      lines.push("", `## ${area}`);
    }
    lines.push("", `### \`${code}\``, "", info.meaning, "", `What to do: ${info.action}`);
  }
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { ERROR_CODES } = await import("../dist/errors.js");
  writeFileSync(ERRORS_DOC, renderErrorsDoc(ERROR_CODES));
  console.log(`wrote ${ERRORS_DOC} (${Object.keys(ERROR_CODES).length} codes)`);
}

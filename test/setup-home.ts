/**
 * Loaded before every test file (scripts/test.sh: --import): each file runs
 * with a SLUICE_HOME of its own, removed when it ends, so no test reads or
 * writes the real ~/.sluice or another file's installs and records.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

if (process.env.SLUICE_TEST_KEEP_HOME === undefined) {
  const home = mkdtempSync(join(tmpdir(), "sluice-home-"));
  process.env.SLUICE_HOME = home;
  process.on("exit", () => rmSync(home, { recursive: true, force: true }));
}

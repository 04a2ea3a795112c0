import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

// Each case in a fresh Node process: the binding loads once per process, and the variable is read as it loads.
function afterLoading(environment: NodeJS.ProcessEnv): string {
  const script = `
    await import(${JSON.stringify(new URL("../../src/stores/duckdb/binding.ts", import.meta.url).href)});
    const { execFileSync } = await import("node:child_process");
    process.stdout.write(execFileSync("sh", ["-c", 'printf %s "\${DUCKDB_JE_MALLOC_CONF-unset}"'], { encoding: "utf8" }));
  `;
  const env = { ...process.env, ...environment };
  if (environment.DUCKDB_JE_MALLOC_CONF === undefined) delete env.DUCKDB_JE_MALLOC_CONF;
  return execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    env,
  });
}

test("DuckDB's allocator setting, made for Sluice's process, is not inherited by the processes it starts", () => {
  assert.equal(afterLoading({}), "unset");
});

test("a DUCKDB_JE_MALLOC_CONF set by the user stays as it is", () => {
  assert.equal(afterLoading({ DUCKDB_JE_MALLOC_CONF: "narenas:2" }), "narenas:2");
});

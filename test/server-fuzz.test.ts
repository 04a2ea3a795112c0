/**
 * A property-based fuzz run of the API (schemathesis, from PyPI): requests
 * generated from the served OpenAPI document, against a real server with a
 * connection and runs in it. No answer may be a 5xx, and every documented
 * answer must match its schema.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { root, run, tempDir } from "./helpers.js";
import { call, installVault, startServer, waitFor } from "./server-helpers.js";

const schemathesis = join(root, ".venv-schemathesis/bin/schemathesis");

test("schemathesis: no 5xx, and every response matches its schema", async (t) => {
  assert.ok(existsSync(schemathesis), "schemathesis is missing: scripts/setup-server-tests.sh installs it");
  const dir = tempDir(t);
  const home = join(dir, "home");
  await installVault(home, join(dir, "src"));
  const server = await startServer(t, { db: join(dir, "app.db"), home });
  const token = server.token!;
  const created = await call<{ id: number }>(server.url, "POST", "/api/connections", {
    token,
    body: {
      name: "fuzzed",
      connector: "vault",
      options: { format: "json", value: { api_key: "key-fuzz", count: 20 } },
    },
  });
  const started = await call<{ id: number }>(server.url, "POST", `/api/connections/${created.body.id}/runs`, { token });
  await waitFor(async () => {
    const { body } = await call<{ finishedAt: string | null }>(server.url, "GET", `/api/runs/${started.body.id}`, {
      token,
    });
    return body.finishedAt ?? undefined;
  });

  const result = await run(
    schemathesis,
    [
      "--no-color",
      "run",
      `${server.url}/api/openapi.json`,
      // Planning from a URL fetches it: fuzzed URLs must not leave this machine.
      "--exclude-path",
      "/api/connectors/plans",
      "--header",
      `Authorization: Bearer ${token}`,
      "--checks",
      "not_a_server_error,response_schema_conformance",
      "--max-examples",
      process.env.SLUICE_FUZZ_EXAMPLES ?? "25",
      "--workers",
      "1",
      "--seed",
      "1",
    ],
    { cwd: dir, env: { ...process.env, SCHEMATHESIS_HOOKS: "" }, timeoutMs: 600_000 },
  );
  const output = result.stdout + result.stderr;
  assert.equal(result.code, 0, `schemathesis found problems:\n${output.slice(-8000)}`);
  assert.match(output, /passed|No issues found/i);
  const cases = output.match(/Test cases:\s*\n\s*(.+)/)?.[1];
  if (cases) t.diagnostic(`schemathesis: ${cases.trim()}`);
  assert.doesNotMatch(server.output(), /"level":"error"/, "the server logged no failure while fuzzed");
});

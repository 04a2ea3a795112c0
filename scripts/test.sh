#!/usr/bin/env bash
# `npm test`: everything a fresh clone needs, then every test.
#   - npm packages (npm ci when node_modules is missing; better-sqlite3 builds
#     from source against Node's headers, see .npmrc)
#   - the build (protobuf generation + tsc + the web UI) and the example
#     connectors (TypeScript, Go, Python)
#   - a running PostgreSQL with the test roles (scripts/setup-postgres.sh)
#   - for the server's tests: Debian's Chromium and schemathesis (PyPI)
#   - the Temporal dev server binary, built once and cached (scripts/build-temporal.sh)
#   - the unit tests (test/unit: pure modules, in parallel, seconds), the Go and
#     Python SDKs' own tests (go test, unittest), then the end-to-end test files
#     (test/*.test.ts, one at a time), with Node's test runner
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

[ -d node_modules/better-sqlite3 ] || npm ci
npm run --silent lint
npm run --silent build
bash scripts/build-examples.sh
SLUICE_TEST_PGPORT="$(bash scripts/setup-postgres.sh | tail -n 1)"
export SLUICE_TEST_PGPORT
bash scripts/setup-server-tests.sh
SLUICE_TEST_TEMPORAL="$(bash scripts/build-temporal.sh | tail -n 1)"
export SLUICE_TEST_TEMPORAL

# Each test file gets its own SLUICE_HOME (test/setup-home.ts); a test that hangs
# fails after 10 minutes instead of holding CI until its own timeout.
run_tests=(node --import tsx --import ./test/setup-home.ts --test --test-timeout=600000 --test-concurrency=1 --test-reporter=spec)
if [ "$#" -gt 0 ]; then
  exec "${run_tests[@]}" "$@"
fi
npm run --silent test:unit
# the SDKs' own tests, and the Go examples' (go test caches what did not change)
(cd sdk/go && go test ./...)
(cd examples/go && go test ./...)
(cd sdk/python/tests && ../../../.venv/bin/python -m unittest -q test_sdk)
exec "${run_tests[@]}" test/*.test.ts

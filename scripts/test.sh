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
#     (test/*.test.ts, two files at a time: most of their time is spent waiting on
#     connector processes, so two share the 2-core CI machine well; SLUICE_TEST_JOBS
#     sets another number), with Node's test runner
# Each step prints how long it took, and the run ends with the time per test file:
# CI has a 30-minute budget, and this says where it goes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

step() {
  local name="$1" began=$SECONDS
  shift
  "$@"
  echo "sluice test: ${name} took $((SECONDS - began)) s (${SECONDS} s so far)" >&2
}

[ -d node_modules/better-sqlite3 ] || step "npm ci" npm ci
step lint npm run --silent lint
step build npm run --silent build
step "example connectors" bash scripts/build-examples.sh
SLUICE_TEST_PGPORT="$(bash scripts/setup-postgres.sh | tail -n 1)"
export SLUICE_TEST_PGPORT
step "server test tools" bash scripts/setup-server-tests.sh
SLUICE_TEST_TEMPORAL="$(bash scripts/build-temporal.sh | tail -n 1)"
export SLUICE_TEST_TEMPORAL

# The tests' temp folder is the run's own, removed at its end: connectors that
# tests kill on purpose cannot remove what they made there (go-plugin socket
# folders, Python's temp files), and CI machines are shared.
test_tmp="$(mktemp -d "${TMPDIR:-/tmp}/sluice-test.XXXXXX")"
trap 'rm -rf "$test_tmp"' EXIT
export TMPDIR="$test_tmp"

# Each test file gets its own SLUICE_HOME (test/setup-home.ts). A test that hangs
# fails after 20 minutes instead of holding CI until its own timeout; the bound
# also applies to each file as a whole, and the documented-commands file takes
# minutes on a busy machine, so it is not tighter.
run_tests=(node --import tsx --import ./test/setup-home.ts --test --test-timeout=1200000
  --test-concurrency="${SLUICE_TEST_JOBS:-2}"
  --test-reporter=spec --test-reporter-destination=stdout
  --test-reporter=./test/reporters/file-times.mjs --test-reporter-destination=stderr)
if [ "$#" -gt 0 ]; then
  "${run_tests[@]}" "$@"
  exit
fi
step "unit tests" npm run --silent test:unit
# the SDKs' own tests, and the Go examples' (go test caches what did not change)
step "Go SDK tests" bash -c 'cd sdk/go && go test ./...'
step "Go example tests" bash -c 'cd examples/go && go test ./...'
step "Python SDK tests" bash -c 'cd sdk/python/tests && ../../../.venv/bin/python -m unittest -q test_sdk'
step "end-to-end tests" "${run_tests[@]}" test/*.test.ts
echo "sluice test: all passed in ${SECONDS} s" >&2

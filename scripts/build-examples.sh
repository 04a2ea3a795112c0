#!/usr/bin/env bash
# Builds every bundled example connector: TypeScript (tsc), Go (go build, on
# the real hashicorp/go-plugin from the Go module proxy) and Python (a venv
# with grpcio from PyPI). Idempotent; warm runs are quick.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[ -f dist/cli/main.js ] || { step "building sluice"; npm run --silent build; }
step "TypeScript examples"
node_modules/.bin/tsc -p examples/ts/tsconfig.json
step "Go SDK and examples"
bash scripts/build-go.sh
step "Python SDK and examples"
bash scripts/build-python.sh
step "Airbyte sources for the tests (PyPI)"
bash scripts/build-airbyte.sh
step "Conduit connectors and host for the tests (Go module proxy)"
bash scripts/build-conduit.sh
step "Code Climate author fixture: TypeScript 3.8 and Jest 25 (npm)"
bash scripts/build-codeclimate-fixture.sh

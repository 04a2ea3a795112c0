#!/usr/bin/env bash
# The npm packages of the Code Climate author fixture
# (test/fixtures/codeclimate/codeclimate-connector-tickets): TypeScript 3.8,
# Jest 25 and ts-jest, as Code Climate's published connectors pin them, plus
# a link to the codeclimate-connector-sdk Sluice builds (dist/, so run after
# `npm run build`). npm ci runs only when the fixture's lockfile changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fixture="$root/test/fixtures/codeclimate/codeclimate-connector-tickets"
stamp="$fixture/node_modules/.sluice-lock"
if ! cmp -s "$fixture/package-lock.json" "$stamp"; then
  (cd "$fixture" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$fixture/package-lock.json" "$stamp"
fi

#!/usr/bin/env bash
# What the server's tests need beside npm packages: Debian's Chromium for the
# browser tests (playwright-core drives it; Playwright's own browser download
# does not work without the internet), and schemathesis from PyPI (pinned in
# test/fixtures/server/requirements.txt) in .venv-schemathesis for the API fuzz
# run. Idempotent: apt and pip run only when something is missing or changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source "$root/scripts/venv.sh"

if ! [ -x /usr/bin/chromium ]; then
  echo "==> Chromium (Debian package) for the browser tests" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
ensure_venv "$root/.venv-schemathesis" test/fixtures/server/requirements.txt

#!/usr/bin/env bash
# Airbyte sources for the tests: a virtual environment at .venv-airbyte with
# airbyte-source-faker from PyPI (pinned in test/fixtures/airbyte/requirements.txt),
# run as a plain subprocess, as `sluice airbyte` runs any Airbyte source.
# Idempotent: pip runs only when the requirements change.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source "$root/scripts/venv.sh"
ensure_venv "$root/.venv-airbyte" test/fixtures/airbyte/requirements.txt

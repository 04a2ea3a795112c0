#!/usr/bin/env bash
# Airbyte sources for the tests: a virtual environment at .venv-airbyte with
# airbyte-source-faker from PyPI (pinned in test/fixtures/airbyte/requirements.txt),
# run as a plain subprocess, as `sluice airbyte` runs any Airbyte source.
# Built once per machine outside the clone (ensure_cached_venv, ~/.cache/sluice)
# and linked here; pip runs only when the requirements change.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source "$root/scripts/venv.sh"
ensure_cached_venv "$root/.venv-airbyte" test/fixtures/airbyte/requirements.txt

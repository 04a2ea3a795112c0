#!/usr/bin/env bash
# The benchmark's peers from PyPI, pinned in bench/peers/requirements.txt,
# into their own virtual environment (bench/.venv-peers): PyAirbyte and dlt.
# airbyte-source-faker itself comes from scripts/build-airbyte.sh, so both
# sides run the very same source executable. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../scripts/venv.sh"
echo "==> the benchmark's peers (PyAirbyte, dlt) from PyPI, pinned" >&2
ensure_cached_venv "$here/.venv-peers" "$here/peers/requirements.txt"
bash "$here/../scripts/build-airbyte.sh"

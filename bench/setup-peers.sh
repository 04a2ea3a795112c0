#!/usr/bin/env bash
# The benchmark's peers from PyPI, pinned in bench/peers/requirements.txt,
# into their own virtual environment (bench/.venv-peers): PyAirbyte and dlt.
# airbyte-source-faker itself comes from scripts/build-airbyte.sh, so both
# sides run the very same source executable. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-peers"
requirements="$here/peers/requirements.txt"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
stamp="$venv/.sluice-requirements"
if ! cmp -s "$requirements" "$stamp"; then
  echo "==> installing the benchmark's peers (PyAirbyte, dlt) from PyPI" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
bash "$here/../scripts/build-airbyte.sh"

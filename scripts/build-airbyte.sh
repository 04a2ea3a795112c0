#!/usr/bin/env bash
# Airbyte sources for the tests: a virtual environment at .venv-airbyte with
# airbyte-source-faker from PyPI (pinned in test/fixtures/airbyte/requirements.txt),
# run as a plain subprocess, as `sluice airbyte` runs any Airbyte source.
# Idempotent: pip runs only when the requirements change.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/.venv-airbyte"
requirements="test/fixtures/airbyte/requirements.txt"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
stamp="$venv/.sluice-requirements"
if ! cmp -s "$requirements" "$stamp"; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi

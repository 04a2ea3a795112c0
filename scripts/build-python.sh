#!/usr/bin/env bash
# Python SDK and example connectors: a virtual environment at .venv with the
# pinned grpcio packages from PyPI, the SDK on its path, and Python code
# generated from proto/ with grpc_tools.protoc into sdk/python/sluice_sdk/gen
# (build output, not committed). Idempotent: pip runs only when the
# requirements change.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/.venv"
source "$root/scripts/venv.sh"
ensure_venv "$venv" sdk/python/requirements.txt
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$root/sdk/python" > "$site/sluice_sdk.pth"

gen="sdk/python/sluice_sdk/gen"
rm -rf "$gen"
mkdir -p "$gen"
# grpc/health comes from grpcio-health-checking: generating it here would shadow the grpc package.
"$venv/bin/python" -m grpc_tools.protoc -I proto --python_out="$gen" --grpc_python_out="$gen" \
  sluice/v1/connector.proto plugin/grpc_controller.proto plugin/grpc_broker.proto plugin/grpc_stdio.proto

#!/usr/bin/env bash
# The Temporal development server for the tests: the Temporal CLI built from
# the Go module proxy (pinned), cached outside the clone so it is built once
# per machine (~3–9 min cold, a 250 MB binary). Prints the binary's path.
#   SLUICE_TOOLS_DIR  where it is cached (default ~/.cache/sluice/tools)
set -euo pipefail
version="v1.5.1"
tools="${SLUICE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice/tools}"
binary="$tools/temporal"

if [ ! -x "$binary" ] || ! "$binary" --version >/dev/null 2>&1; then
  printf '\033[1m==> building the Temporal CLI %s (dev server for the tests) into %s\033[0m\n' "$version" "$tools" >&2
  mkdir -p "$tools"
  # Built into a scratch folder and moved in whole, so an interrupted build never leaves a broken binary cached.
  scratch="$(mktemp -d "$tools/.build-XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  GOBIN="$scratch" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$version" >&2
  mv "$scratch/temporal" "$binary"
fi
echo "$binary"

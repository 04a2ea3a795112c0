#!/usr/bin/env bash
# Conduit interop binaries for the tests, from the Go module proxy: Conduit's
# generator and file connectors built as standalone connectors, and a host on
# the upstream conduit-connector-protocol client (test/interop/conduit).
# go.sum is committed, so downloads are verified without the checksum
# database (which does not know every module here). Rebuilds only when a
# source is newer than its binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
module="$root/test/interop/conduit"
cd "$module"
mkdir -p bin
export GONOSUMDB='github.com/conduitio/*' GOFLAGS="${GOFLAGS:-} -mod=readonly"
# The connectors' own Makefiles stamp their version this way; without it Specify says "(devel)".
version_of() { go list -m -f '{{.Version}}' "github.com/conduitio/conduit-connector-$1" 2>/dev/null || true; }
for name in generator file conduit-host; do
  binary="bin/$( [ "$name" = conduit-host ] && echo conduit-host || echo "conduit-connector-$name")"
  if [ -x "$binary" ] && [ -z "$(find "cmd/$name" go.mod go.sum -newer "$binary" -print -quit)" ]; then continue; fi
  if ! output="$(go build -ldflags "-X github.com/conduitio/conduit-connector-$name.version=$(version_of "$name")" -o "$binary" "./cmd/$name" 2>&1)"; then
    echo "build-conduit.sh: go build ./cmd/$name failed:" >&2
    echo "$output" | tail -20 >&2
    exit 1
  fi
done

#!/usr/bin/env bash
# Go SDK, Go example connectors and the Go interop host.
#   1. installs protoc-gen-go and protoc-gen-go-grpc (pinned, from the Go module
#      proxy) into .tools/bin (gitignored);
#   2. generates sdk/go/gen from proto/ with buf (from npm), skipped when the
#      protos, the template and the plugin versions are unchanged;
#   3. builds examples/go/<name>/bin/<name> and test/interop/go-host/bin/go-host.
# Needs only Go and the Go module proxy (go.sum files are committed), plus
# node_modules (npm ci). Quiet on success; on failure prints the failing step's
# output and exits non-zero.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

PROTOC_GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

tools="$root/.tools/bin"
buf="$root/node_modules/.bin/buf"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# run <what> <command…>: runs quietly, shows the command's output on failure.
run() {
  local what="$1"
  shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build-go.sh: $what failed" >&2
    exit 1
  fi
}

command -v go >/dev/null || { echo "build-go.sh: go is not on PATH" >&2; exit 1; }
[ -x "$buf" ] || { echo "build-go.sh: $buf is missing; run npm ci first" >&2; exit 1; }

# install <module@version> <binary>: reinstalls when the binary reports another version.
install() {
  local version="${1##*@}"
  if [ "$("$tools/$2" --version 2>/dev/null | awk '{print $2}')" != "${version}" ] &&
     [ "$("$tools/$2" --version 2>/dev/null | awk '{print "v" $2}')" != "${version}" ]; then
    run "installing $2" env GOBIN="$tools" go install "$1"
  fi
}
mkdir -p "$tools"
install "$PROTOC_GEN_GO" protoc-gen-go
install "$PROTOC_GEN_GO_GRPC" protoc-gen-go-grpc

gen="sdk/go/gen"
stamp="$(
  {
    echo "$PROTOC_GEN_GO $PROTOC_GEN_GO_GRPC"
    cat sdk/go/buf.gen.go.yaml buf.yaml
    find proto -name '*.proto' | LC_ALL=C sort | xargs cat
  } | sha256sum | cut -d' ' -f1
)"
if [ "$(cat "$gen/.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$gen"
  run "generating $gen" env PATH="$tools:$PATH" "$buf" generate --template sdk/go/buf.gen.go.yaml
  echo "$stamp" >"$gen/.stamp"
fi

# build <module dir> <package> <output, relative to the module dir>
build() {
  run "building $1/$2" bash -c 'cd "$1" && go build -trimpath -o "$3" "$2"' _ "$@"
}
build examples/go ./generator generator/bin/generator
build examples/go ./files files/bin/files
build test/interop/go-host . bin/go-host

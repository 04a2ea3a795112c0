#!/usr/bin/env bash
# Go SDK and Go example connectors: installs the protobuf plugins (pinned, from
# the Go module proxy) into .tools/, generates sdk/go/gen from proto/ with buf
# (from npm), and builds every Go binary into a gitignored bin/ folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools="$root/.tools/bin"
mkdir -p "$tools"

install_tool() { # module@version binary
  [ -x "$tools/$2" ] || GOBIN="$tools" go install "$1"
}
install_tool google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.11 protoc-gen-go
install_tool google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.1 protoc-gen-go-grpc

rm -rf sdk/go/gen
PATH="$tools:$root/node_modules/.bin:$PATH" buf generate --template sdk/go/buf.gen.go.yaml

build() { # module-dir package output
  (cd "$1" && go build -trimpath -o "$3" "$2")
}
build examples/go ./generator generator/bin/generator
build examples/go ./files files/bin/files
build test/interop/go-host . bin/go-host

#!/usr/bin/env bash
# Copies containerd's API .proto files from Debian's golang-github-containerd-containerd-dev into OUT, stripped of
# the gogoproto options protoc 3.21 cannot read, and with `requires` renamed (a C++20 keyword). Field numbers and
# names are untouched, so the wire format is containerd's. We never commit containerd's files: the build makes them.
#   usage: generate.sh OUT_DIR
set -euo pipefail
out=${1:?usage: generate.sh OUT_DIR}
gocode=/usr/share/gocode/src
src=$gocode/github.com/containerd/containerd
if [ ! -d "$src/api/services" ]; then
  echo "generate.sh: $src/api not found; apt-get install golang-github-containerd-containerd-dev" >&2
  exit 1
fi
strip() {
  mkdir -p "$(dirname "$2")"
  sed -E -e '/^\s*import weak /d' -e '/^\s*import "gogoproto\/gogo.proto";/d' \
    -e '/^\s*option \((gogoproto|containerd\.plugin)\.[a-z_]+\)/d' \
    -e 's/\((gogoproto|containerd\.plugin)\.[a-z_]+\) *= *("[^"]*"|[A-Za-z0-9_]+)//g' \
    -e 's/ *\[[ ,]*\]//g' -e 's/^(\s*repeated string) requires = 3;/\1 requires_ = 3;/' \
    "$1" > "$2.tmp"
  mv "$2.tmp" "$2"
}
for f in $(cd "$src" && find api -name '*.proto' ! -path 'api/services/ttrpc/*'); do
  strip "$src/$f" "$out/github.com/containerd/containerd/$f"
done
strip "$src/runtime/v2/runc/options/oci.proto" "$out/github.com/containerd/containerd/runtime/v2/runc/options/oci.proto"
# The shim's task API (containerd.task.v2), which berthd's runtime manager calls over ttrpc.
strip "$src/runtime/v2/task/shim.proto" "$out/github.com/containerd/containerd/runtime/v2/task/shim.proto"
strip "$gocode/github.com/gogo/googleapis/google/rpc/status.proto" "$out/google/rpc/status.proto"

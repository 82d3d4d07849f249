#!/usr/bin/env bash
# Installs what berth needs from Debian 12's packages (run as root). Idempotent.
#   install-deps.sh          build dependencies only
#   install-deps.sh --test   also the test-time components (ctr, docker-registry, runc, skopeo, umoci, Go for
#                            containerd's conformance suites)
set -euo pipefail
build=(build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev libre2-dev
  golang-github-containerd-containerd-dev golang-github-gogo-googleapis-dev
  libarchive-dev nettle-dev liblzma-dev libbz2-dev libc-ares-dev libisal-dev libzstd-dev zlib1g-dev liblmdb-dev libssl-dev nlohmann-json3-dev libtomlplusplus-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev)
test=(containerd docker-registry runc skopeo umoci golang-go python3 busybox-static procps psmisc util-linux
  hyperfine bc zstd)
want=("${build[@]}")
[ "${1:-}" = --test ] && want+=("${test[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

#!/usr/bin/env bash
# The whole test run on a fresh Debian 12, as root: install dependencies, build, run every CTest label
# (unit, conformance, fault, integration). Extra arguments go to ctest (e.g. -L unit, -R content).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure --timeout 900 "$@"

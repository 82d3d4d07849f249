#!/usr/bin/env bash
# `ctr content ingest` of a 1 GiB incompressible file: berthd vs containerd 1.6, same machine, same run.
# Goal (issue 2): berthd ≤ 0.5x containerd's time. Usage: bench/ingest.sh [RUNS] [SIZE_MIB]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
size_mib=${2:-1024}
trap stop_all EXIT
start_berthd berthd
start_containerd containerd
blob=$BENCH_DIR/blob
head -c $((size_mib << 20)) /dev/urandom >"$blob"
digest=sha256:$(sha256sum "$blob" | cut -d' ' -f1)
t0=$(date +%s.%N); openssl dgst -sha256 "$blob" >/dev/null; t1=$(date +%s.%N)
openssl_s=$(printf '%.2f' "$(echo "$t1 - $t0" | bc -l)")
echo "blob: ${size_mib} MiB, openssl sha256 alone: ${openssl_s}s"

time_ingest() {  # time_ingest NAME RUN → seconds
  local sock=$BENCH_DIR/$1/sock
  local t0 t1
  t0=$(date +%s.%N)
  ctr --address "$sock" content ingest --expected-digest "$digest" "bench-$2" <"$blob" >/dev/null
  t1=$(date +%s.%N)
  ctr --address "$sock" content rm "$digest" >/dev/null
  echo "$t1 - $t0" | bc -l
}

declare -A times
for run in $(seq "$runs"); do
  for name in berthd containerd; do  # interleaved so both see the same machine state
    times[$name]+="$(time_ingest "$name" "$run") "
  done
done
b=$(echo "${times[berthd]}" | tr ' ' '\n' | grep . | median)
c=$(echo "${times[containerd]}" | tr ' ' '\n' | grep . | median)
printf 'ctr content ingest %d MiB, median of %d: berthd %.2fs  containerd %.2fs  ratio %.2f (goal <= 0.5)\n' \
  "$size_mib" "$runs" "$b" "$c" "$(echo "$b / $c" | bc -l)"

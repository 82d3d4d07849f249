#!/usr/bin/env bash
# gc and fsck on a large store (issue 5): ≥ 5,000 blobs and ≥ 500 snapshots, built the same way on a fresh berthd
# and a fresh containerd 1.6 in the same run.
#   store: `ctr images import --no-unpack` of two index images, half-a and half-b (make_blob_store_image.py: 5,102
#     blobs, ~770 MiB, one blob in 20 of 1-4 MiB, the rest 0.5-64 KiB), and CHAINS chains of 9 committed snapshots
#     plus an active tip (`ctr snapshots prepare/commit`, which label each one gc.root). half-b's index references
#     the tips of half the chains (containerd.io/gc.ref.snapshot.overlayfs/N) and their gc.root labels are removed,
#     so deleting half-b leaves half of the blobs and half of the snapshots to the collector.
#   1. `berth fsck`: its duration, and its blob phase (the summary's "blobs" time) as throughput, against this
#      machine's two-core sha256 throughput measured here: two `openssl dgst -sha256` processes over the same blob
#      files (split in halves by bytes), from page cache. Goal: ratio >= 0.80.
#   2. gc with nothing to free: `berth gc` (berthd), and `ctr images rm --sync` of an extra tag, which runs a full
#      collection before it returns, on both daemons. Median of RUNS.
#   3. gc freeing half of the store: `ctr images rm --sync half-b` on both, each run on daemons restarted on a
#      fresh copy of the store saved after step 2 (unlinks wait on the disk, so one run alone says little).
# Usage: bench/gc_fsck.sh [RUNS] [CHAINS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
chains=${2:-50}
here=$(cd "$(dirname "$0")" && pwd)
repo=docker.io/bench/store
trap stop_all EXIT

seconds_since() { echo "$(date +%s.%N) - $1" | bc -l; }
# absl's FormatDuration ("1.5s", "850.2ms", "1m2.5s") in seconds.
absl_seconds() {
  python3 -c 'import re, sys
u = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
print(sum(float(v) * u[k] for v, k in re.findall(r"([0-9.]+)(h|ms|us|ns|m|s)", sys.argv[1])))' "$1"
}
med() { tr ' ' '\n' | grep . | median; }

read -r blobs bytes half_b_index < <(python3 "$here/make_blob_store_image.py" --out "$BENCH_DIR/store.tar" \
  --name "$repo")
start_berthd berthd
start_containerd containerd

build_store() {  # build_store NAME: the same blobs, snapshots and labels on one daemon
  local c=(ctr --address "$BENCH_DIR/$1/sock")
  "${c[@]}" images import --no-unpack --all-platforms "$BENCH_DIR/store.tar" >/dev/null
  local chain depth parent refs=()
  for chain in $(seq "$chains"); do
    parent=
    for depth in $(seq 9); do
      "${c[@]}" snapshots prepare "a-$chain-$depth" $parent
      "${c[@]}" snapshots commit "c-$chain-$depth" "a-$chain-$depth"
      parent=c-$chain-$depth
    done
    "${c[@]}" snapshots prepare "tip-$chain" "$parent"
    if ((chain % 2 == 0)); then refs+=("containerd.io/gc.ref.snapshot.overlayfs/$chain=tip-$chain"); fi
  done
  # First the references, then the roots go: nothing is collectable at any moment in between.
  "${c[@]}" content label "$half_b_index" "${refs[@]}" >/dev/null
  for chain in $(seq 2 2 "$chains"); do
    for key in "tip-$chain" $(seq -f "c-$chain-%g" 9); do
      "${c[@]}" snapshots label "$key" containerd.io/gc.root= >/dev/null
    done
  done
}

count() {  # count NAME → "<content records> blobs, <snapshots> snapshots"
  local c=(ctr --address "$BENCH_DIR/$1/sock")
  echo "$("${c[@]}" content ls -q | wc -l) blobs, $("${c[@]}" snapshots ls | tail -n +2 | wc -l) snapshots"
}

for name in berthd containerd; do
  t0=$(date +%s.%N)
  build_store "$name"
  printf '%-10s store built in %.1fs: %s\n' "$name" "$(seconds_since "$t0")" "$(count "$name")"
done
blob_dir=$BENCH_DIR/berthd/root/content/blobs/sha256
blob_bytes=$(find "$blob_dir" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
printf 'blobs on berthd: %d files, %.1f MiB (archive: %d blobs, %d bytes); load: %s\n' \
  "$(find "$blob_dir" -type f | wc -l)" "$(echo "$blob_bytes / 1048576" | bc -l)" "$blobs" "$bytes" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"

# 1. fsck against two openssl processes over the same files, each given half of the bytes.
find "$blob_dir" -type f -printf '%s %p\n' | sort -rn |
  awk -v a="$BENCH_DIR/files1" -v b="$BENCH_DIR/files2" \
    '{ if (s1 <= s2) { print $2 > a; s1 += $1 } else { print $2 > b; s2 += $1 } }'
two_core_sha256() {  # → seconds
  local t0 p1 p2
  t0=$(date +%s.%N)
  xargs -a "$BENCH_DIR/files1" openssl dgst -sha256 >/dev/null & p1=$!
  xargs -a "$BENCH_DIR/files2" openssl dgst -sha256 >/dev/null & p2=$!
  wait "$p1" "$p2"
  seconds_since "$t0"
}
two_core_sha256 >/dev/null  # page cache warm-up
berth=("$BERTH_BIN/berth" --address "$BENCH_DIR/berthd/sock")
declare -A t
for run in $(seq "$runs"); do
  t[openssl]+="$(two_core_sha256) "
  t0=$(date +%s.%N)
  summary=$("${berth[@]}" fsck 2>/dev/null | tail -1)
  t[fsck]+="$(seconds_since "$t0") "
  blob_phase=$(sed -n 's/.*(blobs \([^,]*\),.*/\1/p' <<<"$summary")
  t[fsck_blobs]+="$(absl_seconds "$blob_phase") "
done
echo "last fsck: $summary"
o=$(echo "${t[openssl]}" | med)
f=$(echo "${t[fsck]}" | med)
fb=$(echo "${t[fsck_blobs]}" | med)
mib=$(echo "$blob_bytes / 1048576" | bc -l)
printf 'berth fsck, median of %d: %.2fs; blob verification %.3fs = %.0f MiB/s; two openssl sha256 %.3fs = %.0f MiB/s;' \
  "$runs" "$f" "$fb" "$(echo "$mib / $fb" | bc -l)" "$o" "$(echo "$mib / $o" | bc -l)"
printf ' ratio %.2f (goal >= 0.80)\n' "$(echo "$o / $fb" | bc -l)"
# For reference: SHA-256 alone, no files (openssl dgst above reads 8 KiB at a time).
speed=$(openssl speed -multi 2 -evp sha256 -bytes 1048576 -seconds 2 2>/dev/null | awk '/^sha256/ {print $2}')
printf 'openssl speed -multi 2 sha256 (compute only): %.0f MiB/s\n' "$(echo "${speed%k} * 1000 / 1048576" | bc -l)"

# 2. Collections with nothing to free.
for run in $(seq "$runs"); do
  t0=$(date +%s.%N)
  gc_summary=$("${berth[@]}" gc 2>/dev/null | tail -1)  # stderr: its progress lines
  t[berth_gc]+="$(seconds_since "$t0") "
  for name in berthd containerd; do
    c=(ctr --address "$BENCH_DIR/$name/sock")
    "${c[@]}" images tag "$repo:half-a" "$repo:extra" >/dev/null
    t0=$(date +%s.%N)
    "${c[@]}" images rm --sync "$repo:extra" >/dev/null
    t[noop_$name]+="$(seconds_since "$t0") "
  done
done
echo "last berth gc: $gc_summary"
b=$(echo "${t[noop_berthd]}" | med)
c=$(echo "${t[noop_containerd]}" | med)
printf 'gc, nothing to free, median of %d: berth gc %.3fs; ctr images rm --sync: berthd %.3fs  containerd %.3fs  ratio %.2f\n' \
  "$runs" "$(echo "${t[berth_gc]}" | med)" "$b" "$c" "$(echo "$b / $c" | bc -l)"

# 3. One collection that frees half of the store, RUNS times on copies of the store.
stop_daemon() {  # stop_daemon NAME
  kill "${DAEMON_PID[$1]}"
  wait "${DAEMON_PID[$1]}" 2>/dev/null || true
  unset "DAEMON_PID[$1]"
}
start_on_copy() {  # start_on_copy NAME: the daemon started on a fresh copy of $BENCH_DIR/NAME.saved
  rm -rf "${BENCH_DIR:?}/$1"
  cp -a "$BENCH_DIR/$1.saved" "$BENCH_DIR/$1"
  rm -f "$BENCH_DIR/$1/sock"
  sync  # the copy's writeback must not land inside the timed collection
  if [ "$1" = berthd ]; then start_berthd "$1"; else start_containerd "$1"; fi
  sleep 1  # containerd collects 100 ms after it starts
}
for name in berthd containerd; do
  stop_daemon "$name"
  cp -a "$BENCH_DIR/$name" "$BENCH_DIR/$name.saved"
done
for run in $(seq "$runs"); do
  for name in berthd containerd; do
    if [ -n "${DAEMON_PID[$name]:-}" ]; then stop_daemon "$name"; fi
    start_on_copy "$name"
    t0=$(date +%s.%N)
    ctr --address "$BENCH_DIR/$name/sock" images rm --sync "$repo:half-b" >/dev/null
    t[half_$name]+="$(seconds_since "$t0") "
  done
done
for name in berthd containerd; do printf '%-10s after removing half-b: %s\n' "$name" "$(count "$name")"; done
b=$(echo "${t[half_berthd]}" | med)
c=$(echo "${t[half_containerd]}" | med)
printf 'gc freeing half of the store (ctr images rm --sync), median of %d: berthd %.3fs  containerd %.3fs  ratio %.2f\n' \
  "$runs" "$b" "$c" "$(echo "$b / $c" | bc -l)"
echo "  each run (s): berthd ${t[half_berthd]}; containerd ${t[half_containerd]}"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

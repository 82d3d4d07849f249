#!/usr/bin/env bash
# Containers (issue 4), berthd vs containerd 1.6 in the same run, on a busybox image built here (/bin/busybox):
#   1. `ctr run --rm IMG id true`, median of RUNS: berthd with its shim (io.containerd.berth.v1) vs containerd
#      with containerd-shim-runc-v2 (its default). Goal: berthd <= 0.7x containerd's time.
#   2. an idle shim's RSS and private dirty (sync first): containerd-shim-berth-v1 vs containerd-shim-runc-v2.
#      Goal: <= 4 MiB RSS, <= 1 MiB private dirty.
#   3. SHIMS detached containers on berthd, berthd killed (SIGKILL) and restarted: time until `ctr tasks ls`
#      shows them all RUNNING again. Goal: 100 shims in under 1 s.
# Usage: bench/run.sh [RUNS] [SHIMS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${1:-20}
shims=${2:-100}
here=$(cd "$(dirname "$0")/.." && pwd)
trap stop_all EXIT

python3 - "$BENCH_DIR/layers.json" <<'PY'
import json, sys
entries = [{"type": "dir", "path": "bin"},
           {"type": "file", "path": "bin/busybox", "mode": 0o755, "content_hex": open("/bin/busybox", "rb").read().hex()}]
entries += [{"type": "symlink", "path": "bin/" + a, "target": "busybox"} for a in ("sh", "true", "sleep")]
entries += [{"type": "dir", "path": d} for d in ("proc", "sys", "dev", "etc", "tmp")]
json.dump([{"compression": "gzip", "entries": entries}], open(sys.argv[1], "w"))
PY
image=docker.io/bench/busybox:v1
python3 "$here/tests/util/make_oci_image.py" --out "$BENCH_DIR/busybox" --name "$image" \
  --layers-json "$BENCH_DIR/layers.json" --archive "$BENCH_DIR/busybox.tar" >/dev/null

start_berthd berthd >/dev/null
start_containerd containerd >/dev/null
declare -A runtime=([berthd]=io.containerd.berth.v1 [containerd]=io.containerd.runc.v2)
for name in berthd containerd; do
  ctr --address "$BENCH_DIR/$name/sock" images import "$BENCH_DIR/busybox.tar" >/dev/null
done

declare -A times
# Two unmeasured runs each first (cold caches), then the daemons take turns going first: a run right after the
# other daemon's shares the machine with what that one still does in the background.
for name in berthd containerd; do
  for warm in 1 2; do
    ctr --address "$BENCH_DIR/$name/sock" run --rm --runtime "${runtime[$name]}" "$image" "warm$warm" true
  done
done
for run in $(seq "$runs"); do
  order="berthd containerd"
  [ $((run % 2)) -eq 0 ] && order="containerd berthd"
  for name in $order; do
    t0=$(date +%s.%N)
    ctr --address "$BENCH_DIR/$name/sock" run --rm --runtime "${runtime[$name]}" "$image" "r$run" true
    t1=$(date +%s.%N)
    times[$name]+="$(echo "$t1 - $t0" | bc -l) "
  done
done
b=$(echo "${times[berthd]}" | tr ' ' '\n' | grep . | median)
c=$(echo "${times[containerd]}" | tr ' ' '\n' | grep . | median)
printf 'ctr run --rm true, median of %d: berthd %.3fs  containerd %.3fs  ratio %.2f (goal <= 0.7)\n' \
  "$runs" "$b" "$c" "$(echo "$b / $c" | bc -l)"

for name in berthd containerd; do
  ctr --address "$BENCH_DIR/$name/sock" run -d --runtime "${runtime[$name]}" "$image" idle sleep 1000
done
sleep 2
sync
berth_shim=$(pgrep -f "containerd-shim-berth-v1 .*-id idle" | head -1)
runc_shim=$(pgrep -f "containerd-shim-runc-v2 .*-id idle" | head -1)
printf 'idle shim: containerd-shim-berth-v1 RSS %d KiB, private dirty %d KiB (goal <= 4096 / 1024); ' \
  "$(rollup "$berth_shim" Rss)" "$(rollup "$berth_shim" Private_Dirty)"
printf 'containerd-shim-runc-v2 RSS %d KiB, private dirty %d KiB\n' \
  "$(rollup "$runc_shim" Rss)" "$(rollup "$runc_shim" Private_Dirty)"

sock=$BENCH_DIR/berthd/sock
for i in $(seq "$shims"); do
  ctr --address "$sock" run -d --runtime io.containerd.berth.v1 "$image" "s$i" sleep 1000
done
kill -9 "${DAEMON_PID[berthd]}"
wait "${DAEMON_PID[berthd]}" 2>/dev/null || true
t0=$(date +%s.%N)
start_berthd berthd >/dev/null
for _ in $(seq 600); do
  [ "$(ctr --address "$sock" tasks ls | grep -c RUNNING)" -ge $((shims + 1)) ] && break
  sleep 0.05
done
t1=$(date +%s.%N)
printf 'berthd restarted with %d running shims: all RUNNING after %.2fs (goal < 1 s for 100)\n' \
  "$((shims + 1))" "$(echo "$t1 - $t0" | bc -l)"
grep -i "reconnect" "$BENCH_DIR/berthd/log" | tail -1 || true
for i in $(seq "$shims") idle; do
  id=$i; [ "$i" = idle ] || id=s$i
  ctr --address "$sock" tasks kill -s KILL "$id" >/dev/null 2>&1 || true
done
sleep 1
for i in $(seq "$shims") idle; do
  id=$i; [ "$i" = idle ] || id=s$i
  ctr --address "$sock" tasks delete "$id" >/dev/null 2>&1 || true
  ctr --address "$sock" containers rm "$id" >/dev/null 2>&1 || true
done
ctr --address "$BENCH_DIR/containerd/sock" tasks kill -s KILL idle >/dev/null 2>&1 || true
sleep 1
ctr --address "$BENCH_DIR/containerd/sock" tasks delete idle >/dev/null 2>&1 || true

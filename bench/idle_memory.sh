#!/usr/bin/env bash
# Idle memory of berthd vs containerd 1.6 after a few calls, from /proc/PID/smaps_rollup.
# Goal (issue 2): berthd private dirty ≤ 4 MiB and RSS ≤ 0.4x containerd's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_all EXIT
start_berthd berthd
start_containerd containerd
for name in berthd containerd; do  # touch the common paths once, as a client would
  sock=$BENCH_DIR/$name/sock
  ctr --address "$sock" version >/dev/null
  ctr --address "$sock" namespaces create bench >/dev/null
  echo hello | ctr --address "$sock" content ingest bench-ref >/dev/null
  ctr --address "$sock" content ls >/dev/null
  ctr --address "$sock" images ls >/dev/null
  ctr --address "$sock" leases ls >/dev/null
done
sleep "${IDLE_SECONDS:-5}"
printf '%-11s %9s %15s %11s\n' daemon RSS_KiB Private_Dirty Anonymous
for name in berthd containerd; do
  pid=${DAEMON_PID[$name]}
  printf '%-11s %9s %15s %11s\n' "$name" "$(rollup "$pid" Rss)" "$(rollup "$pid" Private_Dirty)" \
    "$(rollup "$pid" Anonymous)"
done
b=$(rollup "${DAEMON_PID[berthd]}" Rss)
c=$(rollup "${DAEMON_PID[containerd]}" Rss)
printf 'RSS ratio %.2f (goal <= 0.4); berthd private dirty %s KiB (goal <= 4096)\n' "$(echo "$b / $c" | bc -l)" \
  "$(rollup "${DAEMON_PID[berthd]}" Private_Dirty)"

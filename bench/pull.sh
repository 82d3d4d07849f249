#!/usr/bin/env bash
# `berth pull` on berthd vs `ctr images pull` on containerd 1.6 (and `ctr images pull` on berthd), same local
# registry, same run, fresh daemons per pull, for two images:
#   model   3 layers of large incompressible files (~1 GB with the default 340 MiB per layer)
#   rootfs  5 gzip layers of this machine's /etc, /usr/include, /usr/share/doc, /usr/lib/python3, /usr/share/locale
#           (a stand-in for a multi-layer Debian rootfs: many small compressible files)
# Goal (issue 3): berth pull >= 2x faster than ctr pull on containerd; ctr pull on berthd no slower.
# Usage: bench/pull.sh [RUNS] [LAYER_MIB]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${1:-3}
layer_mib=${2:-340}
here=$(cd "$(dirname "$0")/.." && pwd)
trap 'kill $REGISTRY_PID 2>/dev/null || true; stop_all' EXIT

start_registry
port=$REGISTRY_PORT
python3 "$here/tests/util/make_oci_image.py" --out "$BENCH_DIR/model" --name "docker.io/bench/model:v1" \
  --layers 3 --files 4 --layer-size $((layer_mib << 20)) >/dev/null
python3 "$here/bench/make_rootfs_image.py" --out "$BENCH_DIR/rootfs" --name "docker.io/bench/rootfs:v1" \
  /etc /usr/include /usr/share/doc /usr/lib/python3 /usr/share/locale
for image in model rootfs; do
  skopeo copy -q --dest-tls-verify=false "oci:$BENCH_DIR/$image:v1" "docker://127.0.0.1:$port/bench/$image:v1"
done

time_pull() {  # time_pull DAEMON HOW IMAGE RUN → seconds, on a daemon started fresh (empty root) for this run
  local daemon=$1 how=$2 ref=127.0.0.1:$port/bench/$3:v1 name=$1-$2-$4 t0 t1
  "start_$daemon" "$name" >&2
  sync
  t0=$(date +%s.%N)
  if [ "$how" = berth ]; then
    "$BERTH_BIN/berth" --address "$BENCH_DIR/$name/sock" pull --plain-http "$ref" >/dev/null
  else
    ctr --address "$BENCH_DIR/$name/sock" images pull --plain-http "$ref" >/dev/null
  fi
  t1=$(date +%s.%N)
  kill "${DAEMON_PID[$name]}"; wait "${DAEMON_PID[$name]}" 2>/dev/null || true
  rm -rf "$BENCH_DIR/$name"
  echo "$t1 - $t0" | bc -l
}

for image in model rootfs; do
  declare -A times=()
  for run in $(seq "$runs"); do
    times[berth]+="$(time_pull berthd berth "$image" "$run") "
    times[ctr-berthd]+="$(time_pull berthd ctr "$image" "$run") "
    times[ctr-containerd]+="$(time_pull containerd ctr "$image" "$run") "
  done
  b=$(echo "${times[berth]}" | tr ' ' '\n' | grep . | median)
  cb=$(echo "${times[ctr-berthd]}" | tr ' ' '\n' | grep . | median)
  c=$(echo "${times[ctr-containerd]}" | tr ' ' '\n' | grep . | median)
  size=$(du -sb "$BENCH_DIR/$image/blobs" | cut -f1)
  printf '%s (%d MiB of blobs), median of %d: berth pull %.2fs  ctr pull on berthd %.2fs  ctr pull on containerd %.2fs\n' \
    "$image" $((size >> 20)) "$runs" "$b" "$cb" "$c"
  printf '  containerd/berth-pull %.2fx (goal >= 2)   ctr on berthd / on containerd %.2f (goal <= 1.0)\n' \
    "$(echo "$c / $b" | bc -l)" "$(echo "$cb / $c" | bc -l)"
  unset times
done

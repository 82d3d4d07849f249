#!/usr/bin/env bash
# `ctr images pull` (client-side unpack through the daemon's snapshots and diff.Apply) of a ~1 GB, 3-layer
# model-like image of incompressible files: berthd vs containerd 1.6, same local registry, same run.
# Goal (issue 3): on berthd no slower than on containerd. Usage: bench/ctr_pull.sh [RUNS] [LAYER_MIB]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${1:-3}
layer_mib=${2:-340}
here=$(cd "$(dirname "$0")/.." && pwd)
trap 'kill $REGISTRY_PID 2>/dev/null || true; stop_all' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$BENCH_DIR/registry"
cat >"$BENCH_DIR/registry/config.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $BENCH_DIR/registry/storage}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$BENCH_DIR/registry/config.yml" >"$BENCH_DIR/registry/log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

ref=127.0.0.1:$port/bench/model:v1
python3 "$here/tests/util/make_oci_image.py" --out "$BENCH_DIR/image" --name "docker.io/bench/model:v1" \
  --layers 3 --files 4 --layer-size $((layer_mib << 20)) >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$BENCH_DIR/image:v1" "docker://$ref"

time_pull() {  # time_pull DAEMON RUN → seconds, on a daemon started fresh (empty root) for this run
  local name=$1-$2 t0 t1
  "start_$1" "$name" >&2
  sync
  t0=$(date +%s.%N)
  ctr --address "$BENCH_DIR/$name/sock" images pull --plain-http "$ref" >/dev/null
  t1=$(date +%s.%N)
  kill "${DAEMON_PID[$name]}"; wait "${DAEMON_PID[$name]}" 2>/dev/null || true
  rm -rf "$BENCH_DIR/$name"
  echo "$t1 - $t0" | bc -l
}

declare -A times
for run in $(seq "$runs"); do
  for name in berthd containerd; do
    times[$name]+="$(time_pull "$name" "$run") "
  done
done
b=$(echo "${times[berthd]}" | tr ' ' '\n' | grep . | median)
c=$(echo "${times[containerd]}" | tr ' ' '\n' | grep . | median)
printf 'ctr images pull 3x%d MiB, median of %d: berthd %.2fs  containerd %.2fs  ratio %.2f (goal <= 1.0)\n' \
  "$layer_mib" "$runs" "$b" "$c" "$(echo "$b / $c" | bc -l)"

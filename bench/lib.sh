# Shared by the whole-process benchmarks: start berthd and containerd 1.6 on private temp roots, side by side.
# Source it; needs root. Every wait is bounded.

BERTH_BIN=${BERTH_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bin}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /var/tmp/berth-bench.XXXXXX)}
declare -A DAEMON_PID

wait_socket() {  # wait_socket SOCK: until `ctr version` answers, at most 20 s
  for _ in $(seq 200); do
    ctr --address "$1" version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "daemon on $1 did not come up" >&2
  return 1
}

start_berthd() {  # start_berthd NAME → socket $BENCH_DIR/NAME/sock
  local d=$BENCH_DIR/$1
  mkdir -p "$d"
  "$BERTH_BIN/berthd" --root "$d/root" --state "$d/state" --address "$d/sock" --log-level warn \
    >"$d/log" 2>&1 &
  DAEMON_PID[$1]=$!
  wait_socket "$d/sock"
}

start_containerd() {  # start_containerd NAME → socket $BENCH_DIR/NAME/sock
  local d=$BENCH_DIR/$1
  mkdir -p "$d"
  cat >"$d/config.toml" <<TOML
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/sock"
[ttrpc]
  address = "$d/sock.ttrpc"
[debug]
  level = "warn"
TOML
  containerd --config "$d/config.toml" >"$d/log" 2>&1 &
  DAEMON_PID[$1]=$!
  wait_socket "$d/sock"
}

stop_all() {
  for name in "${!DAEMON_PID[@]}"; do kill "${DAEMON_PID[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # A run cut short leaves containers behind (shims outlive their daemon): their shims (named by the daemon's
  # socket under $BENCH_DIR) and the containers under them go, then any mount left there.
  local shim
  for shim in $(pgrep -f "containerd-shim.*$BENCH_DIR" || true); do
    pkill -KILL -P "$shim" 2>/dev/null || true
    kill -KILL "$shim" 2>/dev/null || true
  done
  awk -v d="$BENCH_DIR" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$BENCH_DIR"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# rollup PID FIELD: a field of /proc/PID/smaps_rollup in KiB (Rss, Private_Dirty, Anonymous, ...)
rollup() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/smaps_rollup"; }

start_registry() {  # start_registry → REGISTRY_PORT, REGISTRY_PID: docker-registry on 127.0.0.1 over $BENCH_DIR/registry
  REGISTRY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$BENCH_DIR/registry"
  cat >"$BENCH_DIR/registry/config.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $BENCH_DIR/registry/storage}}
http: {addr: 127.0.0.1:$REGISTRY_PORT}
YAML
  docker-registry serve "$BENCH_DIR/registry/config.yml" >"$BENCH_DIR/registry/log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null && break; sleep 0.1; done
}

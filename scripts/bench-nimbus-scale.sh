#!/usr/bin/env bash
# Issue 19's scale test: one gale-nimbus under the heartbeats of a large
# cluster, simulated on this machine. gale-bench-nimbus-scale fakes the
# supervisors (each with its slots) and, for every slot nimbus assigns, a
# worker that fetches its plan and heartbeats every second with stats, all
# over Thrift; this script starts nimbus, submits the topologies once every
# supervisor has registered (timing each submit: it includes scheduling),
# and prints the simulator's per-second lines and summary.
#
#   scripts/bench-nimbus-scale.sh [--supervisors 1000] [--ports 4] [--topologies 2]
#       [--executors 2000] [--connections 50] [--seconds 60]
#
# Each topology is ConstSpout -> NullBolt (libbench.so) with `--executors`
# executors in all, no ackers, on supervisors x ports / topologies workers.
# Nimbus runs from this build; everything it started is stopped by pid.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
bin="$build/bin"
supervisors=1000 ports=4 topologies=2 executors=2000 connections=50 seconds=60
while [[ $# -gt 0 ]]; do
  case "$1" in
    --supervisors) supervisors=$2 ;;
    --ports) ports=$2 ;;
    --topologies) topologies=$2 ;;
    --executors) executors=$2 ;;
    --connections) connections=$2 ;;
    --seconds) seconds=$2 ;;
    *) echo "bench-nimbus-scale: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done

tmp="$(mktemp -d /tmp/gale-nimbus-scale.XXXXXX)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$("$bin/gale-bench-probe" free-ports 1)"
nimbus="127.0.0.1:$port"
# Workers that never report would be moved after the start timeout; the fake
# ones report at once, so the defaults hold.
"$bin/gale-nimbus" --port "$port" --state-dir "$tmp/nimbus" > "$tmp/nimbus.log" 2>&1 &
nimbus_pid=$!
pids+=("$nimbus_pid")
for _ in $(seq 1 100); do
  "$bin/gale" list --nimbus "$nimbus" > /dev/null 2>&1 && break
  sleep 0.1
done

"$bin/gale-bench-nimbus-scale" --nimbus "$nimbus" --nimbus-pid "$nimbus_pid" \
  --supervisors "$supervisors" --ports "$ports" --connections "$connections" \
  --seconds "$seconds" > "$tmp/sim.out" 2>&1 &
sim=$!
pids+=("$sim")
for _ in $(seq 1 600); do
  grep -q '^registered' "$tmp/sim.out" && break
  kill -0 "$sim" 2>/dev/null || { cat "$tmp/sim.out"; echo "bench-nimbus-scale: the simulator exited" >&2; exit 1; }
  sleep 0.1
done
grep -q '^registered' "$tmp/sim.out" || { echo "bench-nimbus-scale: supervisors did not register in 60 s" >&2; exit 1; }

workers=$((supervisors * ports / topologies))
half=$((executors / 2))
for t in $(seq 1 "$topologies"); do
  cat > "$tmp/scale-$t.yaml" <<YAML
name: scale-$t
config:
  topology.workers: $workers
  topology.acker.executors: 0
  bench.out.dir: $tmp
plugins: [ $build/lib/libbench.so ]
spouts:
  - { id: spout, className: ConstSpout, parallelism: $half }
bolts:
  - { id: sink, className: NullBolt, parallelism: $((executors - half)) }
streams:
  - { from: spout, to: sink, grouping: { type: SHUFFLE } }
YAML
  t0=$(date +%s%N)
  "$bin/gale" submit "$tmp/scale-$t.yaml" --nimbus "$nimbus" > "$tmp/submit-$t.log" 2>&1 ||
    { cat "$tmp/submit-$t.log" >&2; exit 1; }
  t1=$(date +%s%N)
  echo "submit scale-$t ($executors executors on $workers workers): $(( (t1 - t0) / 1000000 )) ms (gale submit: describe, upload, validate, schedule)" >> "$tmp/submits.txt"
done

status=0
wait "$sim" || status=$?
pids=("$nimbus_pid")
cat "$tmp/sim.out"
echo
cat "$tmp/submits.txt"
grep -h "assignment version" "$tmp/nimbus.log" | sed 's/^/nimbus: /' | head -5
exit "$status"

#!/usr/bin/env bash
# Benchmarks W1-W4 (../shared/reference/performance.md) in one run, with the
# raw ZeroMQ ceiling measured in the same run:
#
#   W1  ConstSpout -> NullBolt, gale local, acking off
#   W2  W1 with one acker at max.spout.pending 1000 and 5000; ConstSpout ->
#       IdBolt (anchored) -> NullBolt, acking off (reference) and on
#   W3  ConstSpout in worker A, IdBolt -> NullBolt in worker B, on a cluster
#       on loopback, acking off and on, as a fraction of the ZeroMQ ceiling
#   W4  word count on two workers, acked, max.spout.pending 1000: the
#       maximum rate, then latency at 25/50/80/100% of it and at 1 000
#       sentences/s; then the cluster's CPU with nothing to read (idle)
#   W5  WindFlow's word count: a text's lines in memory -> split on single
#       spaces, [word, 1] -> FIELDS -> a hash map, parallelism 1, acking
#       off: in rows (EmitRow, batches of 256; ExecuteRows, or each row
#       executed as a tuple), and a tuple a word; and the same job in plain
#       C++ (gale-bench-wordcount-ref: two threads, an SPSC ring of word
#       batches) as the ceiling, in the same run; and, not W5, 15 lines'
#       words (~256) packed by hand into one tuple (wordcount-w5-packed.yaml)
#   W7  connectors (scripts/bench-connectors.sh): Redis Streams -> Gale ->
#       Redis, and -> PostgreSQL, acked end to end, beside what the server
#       alone does in the same run
#   W8  C++ spout -> Python identity bolt (multilang, one subprocess,
#       multilang/bench/w8.yaml) -> C++ sink, acked, pending 5000, gale
#       local; the JSON serializer (Storm's) and msgpack (Gale's)
#   W6  keyed sum over a sliding event-time window (1 M tuples per event-s,
#       10 000 keys, 1 s slide; 10, 60 and 600 s windows) on the keyed
#       reduce engine in one process, with and without its inverse
#       (gale-bench-window): tuples/s and the cost of one slide
#
#   scripts/bench.sh [--quick] [--only W1,W3] [--w4-low] [--stats-compare] [--json FILE]
#                    [--no-build] [--keep]
#
# --quick     a few seconds per workload; checks only that every workload
#             reported its figures (non-zero throughput, percentiles where
#             paced, W4's idle row present) and exits 1 otherwise. No timing
#             is asserted anywhere.
# --only      run only these workloads (comma-separated; the ceiling always
#             runs): for working on one of them; the table in the README
#             comes from a run of all of them
# --w4-low    W4 runs only its low-load rows (1 000 sentences/s, and idle),
#             not the maximum and the four rates: for working on low load
# --stats-compare  runs every workload twice in a row, with the statistics
#             on (topology.stats.enabled: true, the default) and off, and
#             reports both rows ("stats on" / "stats off") and the overhead
# --json      where the results go (default <build>/bench/results.json)
# --no-build  use the binaries as they are (ctest does)
# --keep      keep the run directory (logs, count files) even on success
#
# Environment: GALE_BUILD_DIR (default build), GALE_JOBS (build jobs),
# BENCH_STATS_FIRST=off (--stats-compare: the "stats off" run first),
# BENCH_CURVE=off (cluster workloads: worker links in plaintext),
# BENCH_PLAIN_SHUFFLE=1 (W4: topology.disable.loadaware.messaging, the plain
# round-robin shuffle over both workers instead of the load-aware default),
# BENCH_WARMUP_SECS / BENCH_WINDOW_SECS override the measurement timing.
#
# Throughput is counted where tuples arrive: the last bolts append their
# count to a file every 0.1 s (sentence spouts: their acked trees), and
# gale-bench-probe interpolates it at both ends of a fixed window that
# starts after a warm-up; CPU is utime+stime from /proc over the same window.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
quick=0 build_first=1 keep=0 json="" only="" compare=0 w4_low=0
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --json) json="${2:?--json needs a file}"; shift ;;
    --only) only="${2:?--only needs a list such as W1,W3}"; shift ;;
    --stats-compare) compare=1 ;;
    --w4-low) w4_low=1 ;;
    --no-build) build_first=0 ;;
    --keep) keep=1 ;;
    # The header comment, whole (a fixed line range had fallen behind it).
    -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
    *) echo "bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$json" ]] || json="$build/bench/results.json"
for w in ${only//,/ }; do
  [[ "$w" =~ ^W[1-8]$ ]] || { echo "bench: --only takes W1..W8, not '$w'" >&2; exit 2; }
done
want() { [[ -z "$only" || ",$only," == *",$1,"* ]]; }
[[ "$json" = /* ]] || json="$PWD/$json"

if ((quick)); then
  warmup=${BENCH_WARMUP_SECS:-1} window=${BENCH_WINDOW_SECS:-1.5} ceiling_secs=1 ceiling_warmup=0.3
else
  warmup=${BENCH_WARMUP_SECS:-5} window=${BENCH_WINDOW_SECS:-10} ceiling_secs=5 ceiling_warmup=1
fi

log() { echo "bench: $*" >&2; }

if ((build_first)); then
  "$root/scripts/setup.sh" --no-build
  if [[ ! -f "$build/build.ninja" ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$build" -j "${GALE_JOBS:-$(nproc)}" --target gale gale-nimbus gale-supervisor \
    gale-worker bench gale-zmq-ceiling gale-bench-probe gale-bench-window gale-bench-wordcount-ref \
    gale_redis gale_postgres gale-bench-redis-mover
fi
bin="$build/bin"
for b in gale gale-nimbus gale-supervisor gale-worker gale-zmq-ceiling gale-bench-probe \
  gale-bench-window gale-bench-wordcount-ref gale-bench-redis-mover; do
  [[ -x "$bin/$b" ]] || { log "missing $bin/$b (build first, or drop --no-build)"; exit 1; }
done
[[ -f "$build/lib/libbench.so" ]] || { log "missing $build/lib/libbench.so"; exit 1; }
topo="$root/topologies/bench"

run="$(mktemp -d "${TMPDIR:-/tmp}/gale-bench.XXXXXX")"
rows="$run/rows.tsv"
: > "$rows"

# ---------------------------------------------------------------- cleanup
# Everything this script starts is stopped by pid, also on failure.
local_pid="" nimbus_pid="" supervisor_pids=() worker_pids=()

stop_pid() {  # pid name: SIGTERM, up to 10 s, then SIGKILL
  local pid=$1 name=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "$name (pid $pid) did not stop; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

is_worker() { [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q gale-worker; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n "$local_pid" ]] && stop_pid "$local_pid" "gale local"
  local p
  for p in "${supervisor_pids[@]}"; do stop_pid "$p" supervisor; done
  [[ -n "$nimbus_pid" ]] && stop_pid "$nimbus_pid" nimbus
  # Supervisors stop their workers; any that outlived them (by pid) go too.
  for p in "${worker_pids[@]}"; do is_worker "$p" && stop_pid "$p" worker; done
  if ((rc == 0 && !keep)); then
    rm -rf "$run"
  else
    log "run directory kept: $run"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
kv() { sed -n "s/^$2=//p" "$1" | head -1; }            # file key -> value
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }        # format expression
or_dash() { [[ -n "$1" ]] && echo "$1" || echo "-"; }

# The machine's cross-core round trip right now (gale-bench-probe core-rtt),
# measured before each workload into $rtt: on a VM it moves with where the
# host places the vCPUs, and every hand-off between threads pays it.
rtt=""
# A machine with one CPU (or a failed pinning) leaves it empty: "-" in the table.
measure_rtt() {
  rtt=$("$bin/gale-bench-probe" core-rtt 2>/dev/null | sed -n 's/^core_rtt_ns=\([0-9]*\).*/\1/p') || rtt=""
}

# topology.stats.enabled of the run in progress; `both CMD...` runs CMD with
# it true, then (--stats-compare) false.
stats=true
stats_suffix() { ((compare)) && { [[ $stats == true ]] && echo ", stats on" || echo ", stats off"; }; return 0; }
stats_tag() { [[ $stats == true ]] || echo "-nostats"; }
# BENCH_STATS_FIRST=off runs the "stats off" half first (to tell an order
# effect from the statistics' cost).
both() {
  if ((compare)) && [[ "${BENCH_STATS_FIRST:-on}" == off ]]; then
    stats=false; "$@"; stats=true; "$@"
    return
  fi
  stats=true
  "$@"
  if ((compare)); then stats=false; "$@"; stats=true; fi
}

# add_row workload variant unit per_sec probe_output note
add_row() {
  local workload=$1 variant=$2$(stats_suffix) unit=$3 per_sec=${4:-0} out=$5 note=${6:-}
  local cpu machine other per_cpu p50 p99 p999
  cpu=$(kv "$out" cpu_secs_per_sec)
  machine=$(kv "$out" machine_cpu_secs_per_sec)
  # The two sources count in clock ticks each: clamp the noise below zero.
  other=$(calc "%.2f" "$machine > $cpu ? $machine - $cpu : 0")
  per_cpu=$(calc "%.0f" "$cpu > 0 ? $per_sec / $cpu : 0")
  p50=$(kv "$out" p50_ms) p99=$(kv "$out" p99_ms) p999=$(kv "$out" p999_ms)
  # The sink's slowest and fastest second in the window: a row whose run
  # changed pace midway (the VM's vCPUs moved) shows a wide range.
  local range; range=$(kv "$out" sink_per_sec_range)
  if [[ -n "$range" ]]; then
    local lo=${range%,*} hi=${range#*,} scale=1e6 suffix=M
    if (($(calc "%d" "$hi < 1e6"))); then scale=1e3 suffix=k; fi
    note="${note:+$note; }sink per second of the window: $(calc "%.2f" "$lo / $scale")-$(calc "%.2f" "$hi / $scale") $suffix"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$variant" "$unit" \
    "$per_sec" "$cpu" "$per_cpu" "$other" "$(or_dash "$p50")" "$(or_dash "$p99")" \
    "$(or_dash "$p999")" "$(or_dash "$note")" "$(or_dash "$rtt")" >> "$rows"
  log "$workload $variant: $per_sec $unit, $cpu CPU-s/s (others on the machine: $other;" \
    "core round trip before: $(or_dash "$rtt") ns)${p50:+,} ${p50:+p50 $p50 ms, p99 $p99 ms, p99.9 $p999 ms}"
}

probe() {  # dir pids out
  "$bin/gale-bench-probe" measure --dir "$1" --pids "$2" --warmup "$warmup" \
    --window "$window" > "$3"
}

# ---------------------------------------------------------------- local mode
# run_local workload variant yaml ackers pending message.ids [rate]
run_local() {
  local workload=$1 variant=$2 yaml=$3 name
  name="$(echo "$workload-$variant$(stats_tag)" | tr -c 'A-Za-z0-9\n' '-')"
  local dir="$run/$name"
  mkdir -p "$dir/out"
  printf 'ackers=%s\npending=%s\nmessage.ids=%s\nout.dir=%s\nrate=%s\nstats=%s\nchain=%s\nconst.rows=%s\n' \
    "$4" "$5" "$6" "$dir/out" "${7:-0}" "$stats" "$chain" "$emit_rows" > "$dir/props"
  # A workload's own properties, one "key=value" a line.
  [[ -z "${local_props:-}" ]] || printf '%s\n' "$local_props" >> "$dir/props"
  log "$workload $variant: gale local $(basename "$yaml")"
  measure_rtt
  "$bin/gale" local "$yaml" --filter "$dir/props" --quiet \
    --duration "$(calc "%.0f" "$warmup + $window + 60")" > "$dir/local.log" 2>&1 &
  local_pid=$!
  probe "$dir/out" "$local_pid" "$dir/probe.out"
  kill -TERM "$local_pid"
  wait "$local_pid" || { log "gale local failed:"; cat "$dir/local.log" >&2; exit 1; }
  local_pid=""
  local complete note=""
  complete=$(kv "$dir/probe.out" complete_ms_mean)
  [[ -z "$complete" ]] || note="mean complete latency $(calc "%.1f" "$complete * 1000") us; offered ${7:-0} tuples/s"
  add_row "$workload" "$variant" "${local_unit:-tuples/s}" "$(kv "$dir/probe.out" sink_per_sec)" \
    "$dir/probe.out" "$note"
  last_rate=$(kv "$dir/probe.out" sink_per_sec)
}

# ---------------------------------------------------------------- the cluster
nimbus=""

cluster_start() {
  local ports; read -r -a ports <<< "$("$bin/gale-bench-probe" free-ports 5)"
  nimbus="127.0.0.1:${ports[0]}"
  mkdir -p "$run/cluster"
  # BENCH_CURVE=off: worker links in plaintext (gale.transport.curve: false),
  # to measure what encryption costs.
  local nimbus_config=()
  if [[ "${BENCH_CURVE:-on}" == off ]]; then
    echo "gale.transport.curve: false" > "$run/cluster/nimbus.yaml"
    nimbus_config=(--config "$run/cluster/nimbus.yaml")
  fi
  "$bin/gale-nimbus" --host 127.0.0.1 --port "${ports[0]}" --state-dir "$run/cluster/nimbus" \
    "${nimbus_config[@]}" > "$run/cluster/nimbus.log" 2>&1 &
  nimbus_pid=$!
  for _ in $(seq 1 100); do
    "$bin/gale" list --nimbus "$nimbus" > /dev/null 2>&1 && break
    kill -0 "$nimbus_pid" 2>/dev/null || { log "nimbus exited"; cat "$run/cluster/nimbus.log" >&2; exit 1; }
    sleep 0.1
  done
  local i
  for i in 1 2; do
    "$bin/gale-supervisor" --nimbus "$nimbus" --host 127.0.0.1 \
      --ports "${ports[$((2 * i - 1))]},${ports[$((2 * i))]}" --id "bench-sup$i" \
      --state-dir "$run/cluster/sup$i" > "$run/cluster/sup$i.log" 2>&1 &
    supervisor_pids+=($!)
  done
  for _ in $(seq 1 150); do
    "$bin/gale" list --nimbus "$nimbus" 2>/dev/null | grep -q '^2 supervisor(s)' && break
    sleep 0.1
  done
  "$bin/gale" list --nimbus "$nimbus" | grep -q '^2 supervisor(s)' \
    || { log "supervisors did not register"; exit 1; }
  log "cluster: nimbus on $nimbus (pid $nimbus_pid), supervisors ${supervisor_pids[*]}"
}

# The live (not zombie) processes whose parent is one of the given pids.
children_of() {
  local p stat rest state ppid want
  for p in /proc/[0-9]*; do
    read -r stat 2>/dev/null < "$p/stat" || continue
    rest=${stat##*) }
    read -r state ppid _ <<< "$rest"
    [[ "$state" == Z ]] && continue
    for want in "$@"; do [[ "$ppid" == "$want" ]] && echo "${p#/proc/}"; done
  done
  return 0
}

# The workers of the topology just submitted: two supervisor children that
# did not exist before it.
new_workers() {  # old pids...
  local w out=()
  for w in $(children_of "${supervisor_pids[@]}"); do
    [[ " $* " == *" $w "* ]] || out+=("$w")
  done
  echo "${out[*]}"
}

# The host:port each executor of topology $1 runs on, saved as
# "component host:port" lines in $2 (and printed unless $3 is 0).
placement() {
  "$bin/gale" info "$1" --nimbus "$nimbus" > "$2.info"
  [[ "${3:-1}" == 0 ]] || sed -n '/^executors:/,/^$/p' "$2.info" >&2
  sed -n '/^executors:/,/^$/p' "$2.info" | awk 'NF >= 3 && $2 ~ /^\[/ { print $1, $3 }' > "$2"
}
address_of() { awk -v c="$2" '$1 == c { print $2; exit }' "$1"; }

# run_cluster dir yaml [show]: submits (properties in dir/props, name in
# dir/name), waits for its two workers, shows where its executors run
# (unless show is 0), then probes the workers, nimbus and the supervisors.
# Leaves the topology running; cluster_kill stops it.
old_workers=()
run_cluster() {
  local dir=$1 yaml=$2 name w _
  name=$(cat "$dir/name")
  # The previous topology's workers must be gone first: nimbus gives their
  # slots to the next topology at once, and frames a new worker sends to a
  # port whose old worker has not exited yet reach that old worker and are
  # lost: their trees time out only after 30 s, and a lost first sentence
  # holds SentenceSpout's schedule back for 5 s.
  for w in "${old_workers[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$w" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$w" 2>/dev/null || { log "worker $w of the previous topology did not stop"; exit 1; }
  done
  measure_rtt
  GALE_PLUGIN_PATH="$build/lib" "$bin/gale" submit "$yaml" --filter "$dir/props" \
    --nimbus "$nimbus" > "$dir/submit.log" 2>&1 \
    || { log "submit failed:"; cat "$dir/submit.log" >&2; exit 1; }
  local workers=()
  for _ in $(seq 1 600); do
    read -r -a workers <<< "$(new_workers "${old_workers[@]}")"
    ((${#workers[@]} >= 2)) && break
    sleep 0.1
  done
  ((${#workers[@]} == 2)) || { log "$name: expected 2 workers, found ${#workers[@]}"; exit 1; }
  worker_pids+=("${workers[@]}")
  log "$name: workers ${workers[*]}"
  placement "$name" "$dir/placement" "${3:-1}"
  local pids; pids=$(IFS=,; echo "${workers[*]},$nimbus_pid,${supervisor_pids[*]}")
  probe "$dir/out" "$pids" "$dir/probe.out"
  old_workers=("${workers[@]}")
}

cluster_kill() {  # name
  "$bin/gale" kill "$1" --wait 0 --nimbus "$nimbus" > /dev/null
}

cluster_props() {  # dir name key=value...
  local dir=$1 name=$2
  shift 2
  mkdir -p "$dir/out"
  echo "$name" > "$dir/name"
  { echo "name=$name"; echo "out.dir=$dir/out"; echo "stats=$stats"; printf '%s\n' "$@"; } > "$dir/props"
}

# ================================================================ the run
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "run directory $run; warm-up $warmup s, window $window s; load average $load_start"
# The machine may be shared: what else runs shows here, and in the "others"
# column (CPU the rest of the machine used during each window).
busiest() {
  command -v ps > /dev/null || return 0
  log "busiest processes before the run (CPU share over each one's lifetime):"
  ps -eo pcpu,pid,etime,comm --sort=-pcpu | head -6 >&2 || true
}
busiest

# ZeroMQ ceiling: PUSH -> PULL over TCP loopback, 100-byte records.
"$bin/gale-zmq-ceiling" --seconds "$ceiling_secs" --warmup "$ceiling_warmup" > "$run/ceiling.out"
cat "$run/ceiling.out" >&2
ceiling_field() { awk -v v="variant=$1" -v k="$2=" '$1 == v { for (i = 1; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$run/ceiling.out"; }
ceiling1=$(ceiling_field batch1 records_per_sec)
ceiling100=$(ceiling_field batch100 records_per_sec)

# W1 and W2: one process.
# chain=true: the bolts run on the spout's thread (core/runtime/README.md, "Chaining").
# emit_rows=true: const-null.yaml's spout emits rows (EmitRow), which travel in batches.
chain=false
emit_rows=false
if want W1; then
  both run_local W1 "const->null, acking off" "$topo/const-null.yaml" 0 0 false
  w1_threads=$last_rate
  chain=true
  both run_local W1 "const->null, acking off, chained" "$topo/const-null.yaml" 0 0 false
  chain=false
  w1_chained=$last_rate
  emit_rows=true
  both run_local W1 "const->null in rows (EmitRow, ExecuteRows), acking off" \
    "$topo/const-null.yaml" 0 0 false
  emit_rows=false
  w1_rows=$last_rate
  # Issue 20's bar for W1: a quarter of what a lock-free ring passes between
  # two cores (8-byte messages), measured now, at this core round trip.
  "$bin/gale-bench-probe" spsc "$window" > "$run/w1-spsc.out"
  spsc=$(sed -n 's/.*spsc_msgs_per_sec=\([0-9]*\).*/\1/p' "$run/w1-spsc.out")
  printf 'cpu_secs_per_sec=2.00\nmachine_cpu_secs_per_sec=2.00\n' > "$run/w1-spsc-probe.out"
  add_row W1 "SPSC ring between two cores, 8-byte messages (gale-bench-probe spsc)" msgs/s \
    "$spsc" "$run/w1-spsc-probe.out" \
    "W1 (last run) at $(calc "%.1f" "${w1_threads:-0} * 100 / (${spsc:-0} > 0 ? $spsc : 1)")% of it, chained at $(calc "%.1f" "${w1_chained:-0} * 100 / (${spsc:-0} > 0 ? $spsc : 1)")%, in rows at $(calc "%.1f" "${w1_rows:-0} * 100 / (${spsc:-0} > 0 ? $spsc : 1)")%"
fi
if want W2; then
  both run_local W2 "const->null, 1 acker, pending 1000" "$topo/const-null.yaml" 1 1000 true
  # The target's latency half: the spout paced at half that rate, with its
  # trees' mean complete latency (emit to Ack at the spout) over the window.
  both run_local W2 "const->null, 1 acker, pending 1000, at 50% of max" "$topo/const-null.yaml" \
    1 1000 true "$(calc "%.0f" "${last_rate:-0} / 2")"
  both run_local W2 "const->null, 1 acker, pending 5000" "$topo/const-null.yaml" 1 5000 true
  both run_local W2 "const->id->null, acking off (reference)" "$topo/const-id-null.yaml" 0 0 false
  both run_local W2 "const->id->null, 1 acker, pending 1000" "$topo/const-id-null.yaml" 1 1000 true
  both run_local W2 "const->id->null, 1 acker, pending 5000" "$topo/const-id-null.yaml" 1 5000 true
  chain=true
  both run_local W2 "const->id->null, acking off, chained" "$topo/const-id-null.yaml" 0 0 false
  both run_local W2 "const->id->null, 1 acker, pending 1000, chained" "$topo/const-id-null.yaml" \
    1 1000 true
  chain=false
fi

# W3 and W4: a cluster on loopback.
if want W3 || want W4; then cluster_start; fi

w3() {  # variant-tag variant ackers pending message.ids
  local tag; tag="$1$(stats_tag)"
  local dir="$run/w3-$tag"
  cluster_props "$dir" "bench-w3-$tag" "ackers=$3" "pending=$4" "message.ids=$5"
  run_cluster "$dir" "$topo/remote.yaml"
  local p=$dir/placement spout id void
  spout=$(address_of "$p" spout) id=$(address_of "$p" id) void=$(address_of "$p" void)
  if [[ -z "$spout" || "$spout" == "$id" || "$id" != "$void" ]]; then
    log "W3 placement is wrong: spout on '$spout', id on '$id', void on '$void'"
    exit 1
  fi
  local rate; rate=$(kv "$dir/probe.out" sink_per_sec)
  add_row W3 "$2" tuples/s "$rate" "$dir/probe.out" \
    "$(calc "%.1f" "100 * $rate / $ceiling100")% of ZeroMQ batched, $(calc "%.1f" "100 * $rate / $ceiling1")% of one-per-message; spout on $spout, bolts on $id"
  cluster_kill "bench-w3-$tag"
}
if want W3; then
  both w3 off "spout | id->null, 2 workers, acking off" 0 0 false
  both w3 on "spout | id->null, 2 workers, 1 acker, pending 5000" 1 5000 true
  # Storm's default: as many ackers as workers; each spout tree then uses
  # the acker in the spout's own worker.
  both w3 on2 "spout | id->null, 2 workers, 2 ackers, pending 5000" 2 5000 true
fi

w4() {  # tag variant rate
  local tag; tag="$1$(stats_tag)"
  local dir="$run/w4-$tag"
  cluster_props "$dir" "bench-w4-$tag" "rate=$3" "sentences=0" \
    "plain.shuffle=$([[ "${BENCH_PLAIN_SHUFFLE:-0}" == 1 ]] && echo true || echo false)"
  run_cluster "$dir" "$topo/wordcount.yaml" "$([[ "$1" == max ]] && echo 1 || echo 0)"
  local acked words failed
  acked=$(kv "$dir/probe.out" acked_per_sec) words=$(kv "$dir/probe.out" sink_per_sec)
  failed=$(kv "$dir/probe.out" failed)
  if [[ "$3" == 0 ]]; then
    # Unpaced: latency is then from the actual emit, not shown in the table.
    sed -i '/^p[0-9]*_ms=/d' "$dir/probe.out"
  fi
  local note="$words words/s at count, $failed trees failed" complete
  complete=$(kv "$dir/probe.out" complete_ms_mean)
  [[ -z "$complete" ]] || note+=", mean complete latency $(calc "%.2f" "$complete") ms"
  [[ "$3" == 0 ]] || note+="; offered $3 sentences/s"
  add_row W4 "$2" sentences/s "$acked" "$dir/probe.out" "$note"
  cluster_kill "bench-w4-$tag"
}
if want W4 && ! ((w4_low)); then
  both w4 max "word count, 2 workers, acked, pending 1000, max rate" 0
  max_rate=$(kv "$run/w4-max/probe.out" acked_per_sec)
  for pct in 25 50 80 100; do
    both w4 "r$pct" "word count at $pct% of max" "$(calc "%.0f" "$max_rate * $pct / 100")"
  done
fi
# The idle cluster: word count whose spout has emitted 100 sentences and has
# nothing more to read. Only the CPU counts: both workers, nimbus and the
# supervisors, over the window (the probe starts it once the first sentence
# was acked; in a full run the 5 s warm-up covers the second of idleness
# after which the spout's executor waits longest between polls, --quick's
# 1 s does not).
w4_idle() {  # variant
  local tag; tag="idle$(stats_tag)"
  local dir="$run/w4-$tag"
  cluster_props "$dir" "bench-w4-$tag" "rate=1000" "sentences=100" "plain.shuffle=false"
  run_cluster "$dir" "$topo/wordcount.yaml" 0
  local acked; acked=$(kv "$dir/probe.out" acked_per_sec)
  add_row W4 "$1" sentences/s "$acked" "$dir/probe.out" \
    "CPU of the whole cluster (both workers, nimbus, the supervisors) after its 100 sentences; issue 20's bar: 0.02 CPU-s/s"
  cluster_kill "bench-w4-$tag"
}
if want W4; then
  # Issue 20's low-load bar: p50 <= 150 us, p99 <= 1 ms across the two workers.
  both w4 low "word count at 1000 sentences/s (low load)" 1000
  # And its idle bar: <= 0.02 CPU-s/s for the whole cluster.
  both w4_idle "word count with nothing to read (idle)"
fi

# W5: Gale's word count, then the plain C++ reference on the same text.
if want W5; then
  w5_text="$root/topologies/wordcount/data/sentences.txt"
  w5_props() {  # lines per tuple, rows (EmitRow), count.rows (ExecuteRows), chain.count
    local_props="lines.file=$w5_text"$'\n'"lines.passes=0"$'\n'"counts.file="$'\n'"lines.per.tuple=$1"$'\n'"rows=$2"$'\n'"count.rows=$3"$'\n'"chain.count=$4"
  }
  # One W5 row: label, chain (lines -> split), rows, count.rows, chain.count
  # (split -> count); leaves the rate in last_rate.
  w5_run() {
    w5_props 1 "$3" "$4" "$5"
    chain=$2
    both run_local W5 "$1" "$topo/wordcount-w5.yaml" 0 0 false
    chain=false
  }
  # W5 as a Gale user writes it for speed: lines and words are rows
  # (EmitRow), which travel in batches of up to 256, and the split and the
  # count read a batch at once (ExecuteRows). First in WindFlow's layout:
  # lines and split fused on one thread (chain), the count on another.
  w5_run "rows (EmitRow, ExecuteRows), acking off, lines+split fused, count apart" \
    true true true false
  w5_fused=$last_rate
  w5_run "rows (EmitRow, ExecuteRows), acking off, chained (one thread)" true true true true
  w5_gale=$last_rate
  w5_run "rows (EmitRow, ExecuteRows), acking off, a thread each" false true true false
  w5_threads=$last_rate
  # Rows to a count written for tuples: the runtime calls Execute per row.
  w5_run "rows, the count executing each as a tuple, lines+split fused" true true false false
  w5_rows_exec=$last_rate
  # A tuple a word (Emit), as Storm's word count.
  w5_run "a tuple a word (Emit), acking off, lines+split fused, count apart" \
    true false true false
  w5_tuples=$last_rate
  w5_run "a tuple a word (Emit), acking off, chained (one thread)" true false true true
  w5_tuples_chained=$last_rate
  # Not W5: 15 lines' words (~256, the reference's batch) packed by the user
  # into one tuple: batches without the rows API (bench/README.md).
  w5_props 15 false true false
  local_unit=words/s  # its sink counts the words its tuples pack
  both run_local W5 "not W5: 15 lines' words (~256) packed in one tuple, a thread each" \
    "$topo/wordcount-w5-packed.yaml" 0 0 false
  w5_packed256=$last_rate
  local_unit=""
  local_props=""
  log "W5 reference: gale-bench-wordcount-ref $(basename "$w5_text")"
  "$bin/gale-bench-wordcount-ref" "$w5_text" --warmup "$warmup" --secs "$window" > "$run/w5-ref.out"
  w5_ref=$(sed -n 's/.*words_per_sec=\([0-9]*\).*/\1/p' "$run/w5-ref.out")
  # Both of its threads spin: two CPUs for the whole window.
  printf 'cpu_secs_per_sec=2.00\nmachine_cpu_secs_per_sec=2.00\n' > "$run/w5-ref-probe.out"
  of_ref() { calc "%.1f" "${1:-0} * 100 / ($w5_ref > 0 ? $w5_ref : 1)"; }
  add_row W5 "reference: plain C++, 2 threads, SPSC ring" words/s "$w5_ref" "$run/w5-ref-probe.out" \
    "Gale W5 in rows (last run), lines+split fused, at $(of_ref "$w5_fused")% of it, chained at $(of_ref "$w5_gale")%, a thread each at $(of_ref "$w5_threads")% (each row executed as a tuple: $(of_ref "$w5_rows_exec")%); a tuple a word at $(of_ref "$w5_tuples")% (chained $(of_ref "$w5_tuples_chained")%); packed ~256 a tuple at $(of_ref "$w5_packed256")%"
fi

# W6: one thread, the engine alone (no topology around it: the slide's cost
# is what it measures). The 600 s window first fills 600 event-seconds.
if want W6; then
  w6_lengths="10 60 600"
  ((quick)) && w6_lengths="10 60"
  "$bin/gale-bench-window" --keys 10000 --measure "$( ((quick)) && echo 3 || echo 20)" \
    $w6_lengths > "$run/w6.out"
  while read -r line; do
    secs=$(sed -n 's/.*window_secs=\([0-9]*\).*/\1/p' <<< "$line")
    inv=$(sed -n 's/.*inverse=\([01]\).*/\1/p' <<< "$line")
    tps=$(sed -n 's/.*tuples_per_sec=\([0-9]*\).*/\1/p' <<< "$line")
    slide=$(sed -n 's/.*slide_us=\([0-9.]*\).*/\1/p' <<< "$line")
    printf 'cpu_secs_per_sec=1.00\nmachine_cpu_secs_per_sec=1.00\n' > "$run/w6-probe.out"
    add_row W6 "keyed sum, ${secs} s window, $( ((inv)) && echo "with inverse" || echo "panes only")" \
      tuples/s "$tps" "$run/w6-probe.out" "slide ${slide} us"
  done < "$run/w6.out"
fi

# W7: the connectors against real servers, each beside the server alone.
if want W7; then
  log "W7 connectors: scripts/bench-connectors.sh"
  GALE_BUILD_DIR="$build" "$root/scripts/bench-connectors.sh" --no-build \
    --records "$( ((quick)) && echo 20000 || echo 300000)" > "$run/w7.out" 2> "$run/w7.err" ||
    { log "bench-connectors.sh failed:"; cat "$run/w7.err" >&2; exit 1; }
  printf 'cpu_secs_per_sec=0\nmachine_cpu_secs_per_sec=0\n' > "$run/w7-probe.out"
  while read -r target gale steady alone share plain plain_share xadd xadd_share; do
    extra=""
    [[ "$xadd" == - ]] || extra="; XADD alone: $xadd/s ($xadd_share)"
    add_row W7 "Redis Streams -> Gale -> $target, acked" records/s "$steady" "$run/w7-probe.out" \
      "$gale/s with start-up; the server alone on this work: $alone/s ($share); a plain client: $plain/s ($plain_share)$extra"
  done < <(awk '/^Redis -> Gale -> / { print $5, $6, $7, $8, $9, $10, $11, $12, $13 }' "$run/w7.out")
fi

# W8: a Python bolt (Storm's multilang protocol) between C++ components.
if want W8; then
  for ser in json msgpack; do
    # Debian's interpreter: it sees python3-msgpack (setup installs it),
    # which a python3 earlier on PATH may not, and then msgpack runs in
    # gale_multilang's pure-Python encoder (W8 msgpack: 58-74 k instead of
    # 224-234 k tuples/s, bench/README.md).
    local_props="serializer=$ser"$'\n'"python=$([[ -x /usr/bin/python3 ]] && echo /usr/bin/python3 || echo python3)"
    both run_local W8 "C++ spout -> Python identity bolt -> C++ sink, acked, $ser" \
      "$root/multilang/bench/w8.yaml" 1 5000 true
  done
  local_props=""
fi

load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
echo
echo "Gale benchmarks ($(((quick)) && echo quick || echo full) run, $started; $(nproc) CPUs;" \
  "load average $load_start at the start, $load_end at the end)"
printf 'ZeroMQ ceiling (PUSH->PULL, TCP loopback, 100-byte records): %s records/s one per message, %s records/s 100 per message\n\n' \
  "$ceiling1" "$ceiling100"
{
  printf 'workload\tvariant\tper second\tunit\tCPU-s/s\tper CPU-s\tothers CPU-s/s\tcore RTT ns\tp50 ms\tp99 ms\tp99.9 ms\n'
  awk -F'\t' -v OFS='\t' '{ print $1, $2, $4, $3, $5, $6, $7, $12, $8, $9, $10 }' "$rows"
} | column -t -s $'\t'
echo
echo "notes:"
awk -F'\t' '$11 != "-" { print "  " $1 " " $2 ": " $11 }' "$rows"
if ((compare)); then
  echo "statistics overhead (--stats-compare): throughput with stats on vs off, and CPU per tuple"
  awk -F'\t' '
    { base = $2; sub(/, stats (on|off)$/, "", base); key = $1 " " base }
    $2 ~ /, stats on$/ { on[key] = $4; oncpu[key] = $6; onsecs[key] = $5; order[++n] = key }
    $2 ~ /, stats off$/ { off[key] = $4; offcpu[key] = $6; offsecs[key] = $5 }
    END {
      for (i = 1; i <= n; i++) {
        k = order[i]
        if (off[k] > 0 && on[k] > 0)
          printf "  %s: on %s, off %s per s: %+.1f%% throughput; %+.1f%% tuples per CPU-s\n", k, on[k], off[k], 100 * (on[k] / off[k] - 1), (offcpu[k] > 0 ? 100 * (oncpu[k] / offcpu[k] - 1) : 0)
        else if (k ~ /\(idle\)/)
          printf "  %s: CPU-s/s on %s, off %s\n", k, onsecs[k], offsecs[k]
      }
    }' "$rows"
fi
echo "  CPU-s/s: utime+stime of the gale local process, or of both workers, nimbus and the"
echo "  supervisors; others CPU-s/s: the rest of the machine over the same window;"
echo "  core RTT ns: the machine's cross-core round trip just before the workload started"
echo "  (gale-bench-probe core-rtt; a VM's moves with where the host places its vCPUs)."

# JSON
mkdir -p "$(dirname "$json")"
json_num() { [[ "$1" == - || -z "$1" ]] && echo null || echo "$1"; }
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; echo "\"$s\""; }
{
  echo "{"
  echo "  \"mode\": \"$(((quick)) && echo quick || echo full)\","
  echo "  \"started\": \"$started\","
  echo "  \"cpus\": $(nproc),"
  echo "  \"load_average_start\": $(json_str "$load_start"),"
  echo "  \"load_average_end\": $(json_str "$load_end"),"
  echo "  \"warmup_secs\": $warmup,"
  echo "  \"window_secs\": $window,"
  echo "  \"zmq_ceiling\": ["
  n=0
  while read -r line; do
    ((n++)) && echo ","
    printf '    {'
    first=1
    for kvp in $line; do
      k=${kvp%%=*} v=${kvp#*=}
      ((first)) || printf ', '
      first=0
      if [[ $k == variant ]]; then printf '"%s": "%s"' "$k" "$v"; else printf '"%s": %s' "$k" "$v"; fi
    done
    printf '}'
  done < "$run/ceiling.out"
  echo
  echo "  ],"
  echo "  \"results\": ["
  n=0
  while IFS=$'\t' read -r workload variant unit per_sec cpu per_cpu other p50 p99 p999 note core_rtt; do
    ((n++)) && echo ","
    printf '    {"workload": "%s", "variant": %s, "unit": "%s", "per_sec": %s, "cpu_secs_per_sec": %s, "per_cpu_sec": %s, "others_cpu_secs_per_sec": %s, "core_rtt_ns": %s, "p50_ms": %s, "p99_ms": %s, "p999_ms": %s, "note": %s}' \
      "$workload" "$(json_str "$variant")" "$unit" "$(json_num "$per_sec")" "$(json_num "$cpu")" \
      "$(json_num "$per_cpu")" "$(json_num "$other")" "$(json_num "$core_rtt")" "$(json_num "$p50")" "$(json_num "$p99")" \
      "$(json_num "$p999")" "$( [[ "$note" == - ]] && echo null || json_str "$note")"
  done < "$rows"
  echo
  echo "  ]"
  echo "}"
} > "$json"
echo
echo "results: $json"

# ---------------------------------------------------------------- checks
# Every workload reported: a non-zero rate (W4's idle row: none, by design;
# the probe fails when it cannot read the CPU), and percentiles where paced.
problems=()
for v in "$ceiling1" "$ceiling100"; do
  awk -v x="${v:-0}" 'BEGIN { exit !(x > 0) }' || problems+=("ZeroMQ ceiling reported no rate")
done
for w in W1 W2 W3 W4 W5 W6 W7 W8; do
  want "$w" || continue
  grep -q "^$w"$'\t' "$rows" || problems+=("$w did not run")
done
while IFS=$'\t' read -r workload variant unit per_sec cpu per_cpu other p50 p99 p999 note _; do
  if [[ "$variant" != *"(idle)"* ]]; then
    awk -v x="${per_sec:-0}" 'BEGIN { exit !(x > 0) }' || problems+=("$workload $variant: no throughput")
  fi
  if [[ "$variant" == *"% of max"* && ("$p50" == - || "$p99" == - || "$p999" == -) ]]; then
    problems+=("$workload $variant: no latency percentiles")
  fi
done < "$rows"
if want W4 && ! ((w4_low)); then
  [[ $(grep -c "^W4.*% of max" "$rows") == $((compare ? 8 : 4)) ]] ||
    problems+=("W4 did not run at all four rates")
fi
if want W4; then
  grep -q "^W4"$'\t'".*(idle)" "$rows" || problems+=("W4's idle row did not run")
fi
if want W2; then
  grep -q "^W2.*% of max.*mean complete latency" "$rows" ||
    problems+=("W2 at half the maximum reported no complete latency")
fi
if ((${#problems[@]})); then
  printf 'bench: FAILED: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "bench: every workload reported its figures"

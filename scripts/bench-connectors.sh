#!/usr/bin/env bash
# Connector throughput (issue 16), acked end to end, with the servers on the
# same machine, next to what the server sustains in the same run:
#
#   redis   Redis stream -> gale local (RedisStreamSpout -> RedisSink XADD)
#           -> Redis stream. Baselines: the server alone on this work, that
#           is the records per CPU-second redis-server spends on the three
#           commands a record costs (XREADGROUP, XADD, XACK; INFO's
#           used_cpu_user + used_cpu_sys around the plain client's run): what
#           Redis sustains with a core to itself and clients that cost
#           nothing; a plain client sending the same commands without Gale
#           (gale-bench-redis-mover: XREADGROUP 500, then the 500 XADDs and
#           the XACK in one pipeline); and redis-benchmark's XADD rate
#           (pipelined 100 deep), the cheapest of the three commands alone
#   pg      Redis stream -> gale local (RedisStreamSpout -> PostgresSink
#           upsert, 500 rows a statement) -> PostgreSQL. Baselines: psql
#           running the same upserts (500 rows a statement) from a file, the
#           server alone; and a plain client doing the same work without
#           Gale (gale-bench-redis-mover --postgres: XREADGROUP 500, the
#           500-row upsert PostgresSink builds, then the XACK)
#
#   scripts/bench-connectors.sh [--records N] [--no-build]
#
# Gale's records/s are given twice: records / seconds from the start of
# `gale local` until the last record is in the target ("gale": start-up
# included), and from the first record in the target to the last ("steady",
# the figure set beside the baselines, which have no start-up either).
# PostgreSQL runs as `nobody` (setpriv), fsync off, in a temp dir that is
# removed at the end, like the redis-server.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
records=100000
do_build=1
while (($#)); do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    *) echo "bench-connectors: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if ((do_build)); then
  ninja -C "$build" -j "${GALE_JOBS:-1}" gale gale-worker gale_redis gale_postgres \
    gale-bench-redis-mover gale-bench-probe >/dev/null
fi

pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
initdb="$pgbin/initdb"
postgres="$pgbin/postgres"
psql="$pgbin/psql"  # the versioned one: /usr/bin/psql is postgresql-client-common's wrapper
run="$(mktemp -d /tmp/gale-bench-connectors-XXXXXX)"
chown 65534:65534 "$run"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$run"
}
trap cleanup EXIT

now() { date +%s.%N; }
# n / (b - a), per second or per CPU-second; 0 when no time passed.
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", (b > a) ? n / (b - a) : 0 }'; }

# Ports outside the kernel's ephemeral range, handed out in turn with every
# other caller on the machine (test/support/ports.h).
read -r redis_port pg_port <<< "$("$build/bin/gale-bench-probe" free-ports 2)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$run" \
  >"$run/redis.log" 2>&1 &
pids+=($!)
setpriv --reuid=65534 --regid=65534 --clear-groups -- env LC_ALL=C "$initdb" -D "$run/data" \
  -U postgres -A trust -E UTF8 --no-sync >"$run/initdb.log" 2>&1
setpriv --reuid=65534 --regid=65534 --clear-groups -- env LC_ALL=C "$postgres" -D "$run/data" \
  -p "$pg_port" -k "$run" -c listen_addresses=127.0.0.1 -c fsync=off >"$run/postgres.log" 2>&1 &
pids+=($!)
rcli() { redis-cli -p "$redis_port" "$@"; }
# CPU-seconds redis-server has used so far (user + system).
redis_cpu() { rcli info cpu | awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.6f", s }'; }
us_per_record() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", 1e6 * (b - a) / n }'; }
pg() { "$psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qtAX "$@"; }
for _ in $(seq 100); do rcli ping >/dev/null 2>&1 && pg -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done

# The input stream: records entries id, name, qty, loaded through --pipe.
feed() {
  awk -v n="$records" 'BEGIN { for (i = 0; i < n; i++)
    printf "XADD in * id %d name n-%d qty %d\n", i, i, i % 7 }' | rcli --pipe >/dev/null
}

# Runs gale local on $1 until the function $2 prints $records; echoes the
# start time, the time the first record was in the target with how many
# were there by then, and the end time.
run_gale() {
  local yaml="$1" check="$2" start end first="" first_n=0 n
  start="$(now)"
  "$build/bin/gale" local "$yaml" --quiet >"$run/gale.log" 2>&1 &
  local pid=$!
  local deadline=$((SECONDS + 600))
  while n="$($check 2>/dev/null)" && [[ "$n" != "$records" ]]; do
    if [[ -z "$first" && "$n" =~ ^[0-9]+$ && "$n" -gt 0 ]]; then first="$(now)"; first_n="$n"; fi
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      echo "bench-connectors: $yaml did not deliver $records records; its log:" >&2
      cat "$run/gale.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  end="$(now)"
  [[ -n "$first" ]] || { first="$end"; first_n="$records"; }
  kill -INT "$pid"; wait "$pid" || true
  echo "$start $first $first_n $end"
}
# Records/s from the first record in the target to the last (start-up left out).
steady() { awk -v n="$1" -v f="$2" -v a="$3" -v b="$4" 'BEGIN { printf "%.0f", (b > a) ? (n - f) / (b - a) : 0 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }

spout="  - { id: in, className: RedisStreamSpout, config: { redis.port: $redis_port, redis.stream: in,
      redis.id.field: entry, redis.fields: 'id, name, qty', redis.batch.size: 500 } }"
common="config: { topology.max.spout.pending: 5000, topology.message.timeout.secs: 60 }
plugins: [ libgale_redis.so, libgale_postgres.so ]
spouts:
$spout"

# --- Redis -> Gale -> Redis -------------------------------------------------
rcli del in out >/dev/null
feed
cat >"$run/redis.yaml" <<EOF
name: bench-redis
$common
bolts:
  - { id: out, className: RedisSink, config: { redis.port: $redis_port, redis.stream: out,
      redis.batch.size: 500, topology.tick.tuple.freq.secs: 0.05 } }
streams:
  - { from: in, to: out, grouping: { type: SHUFFLE } }
EOF
out_len() { rcli xlen out; }
c0="$(redis_cpu)"
read -r a f fn b < <(run_gale "$run/redis.yaml" out_len)
c1="$(redis_cpu)"
gale_redis="$(rate "$records" "$a" "$b")"
steady_redis="$(steady "$records" "$fn" "$f" "$b")"
gale_redis_us="$(us_per_record "$records" "$c0" "$c1")"
xadd_redis="$(redis-benchmark -p "$redis_port" -n "$records" -P 100 -q XADD bench '*' value v |
  grep -oE '[0-9.]+ requests per second' | awk '{ printf "%.0f", $1 }')"
# The same commands from one plain client, without Gale (bench/redis_mover.cc),
# and what they cost the server.
rcli del in out >/dev/null
feed
c0="$(redis_cpu)"
plain_redis="$("$build/bin/gale-bench-redis-mover" --port "$redis_port" --records "$records" \
  --batch 500 | awk '{ print $(NF - 1) }')"
c1="$(redis_cpu)"
base_redis="$(rate "$records" "$c0" "$c1")"
plain_redis_us="$(us_per_record "$records" "$c0" "$c1")"

# --- Redis -> Gale -> PostgreSQL ----------------------------------------------
rcli del in out >/dev/null
feed
pg -c 'CREATE TABLE items (id integer PRIMARY KEY, name text, qty integer)'
cat >"$run/pg.yaml" <<EOF
name: bench-pg
$common
bolts:
  - id: db
    className: PostgresSink
    parallelism: 2
    config:
      postgres.conninfo: 'host=127.0.0.1 port=$pg_port dbname=postgres user=postgres'
      postgres.table: items
      postgres.columns: id, name, qty
      postgres.conflict.columns: id
      topology.tick.tuple.freq.secs: 0.05
streams:
  - { from: in, to: db, grouping: { type: FIELDS, args: [id] } }
EOF
rows() { pg -c 'SELECT count(*) FROM items'; }
read -r a f fn b < <(run_gale "$run/pg.yaml" rows)
gale_pg="$(rate "$records" "$a" "$b")"
steady_pg="$(steady "$records" "$fn" "$f" "$b")"
pg -c 'CREATE TABLE plain (id integer PRIMARY KEY, name text, qty integer)'
awk -v n="$records" 'BEGIN { for (i = 0; i < n; i += 500) {
    printf "INSERT INTO plain (id, name, qty) VALUES "
    for (j = i; j < i + 500 && j < n; j++) printf "%s(%d, '\''n-%d'\'', %d)", (j > i ? ", " : ""), j, j, j % 7
    print " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, qty = EXCLUDED.qty;" } }' \
  >"$run/plain.sql"
a="$(now)"
pg -f "$run/plain.sql" >/dev/null
b="$(now)"
base_pg="$(rate "$records" "$a" "$b")"
# The same work from one plain client, without Gale (bench/redis_mover.cc).
rcli del in >/dev/null
feed
pg -c 'CREATE TABLE mover (id integer PRIMARY KEY, name text, qty integer)'
plain_pg="$("$build/bin/gale-bench-redis-mover" --port "$redis_port" --records "$records" \
  --batch 500 --postgres "host=127.0.0.1 port=$pg_port dbname=postgres user=postgres" \
  --table mover --columns id,name,qty --key id | awk '{ print $(NF - 1) }')"
[[ "$(pg -c 'SELECT count(*) FROM mover')" == "$records" ]] ||
  { echo "bench-connectors: the plain client did not write $records rows" >&2; exit 1; }

# One line a pipeline: Gale from the start of gale local (start-up included)
# and from its first record in the target; the server alone (Redis: records
# per CPU-second of redis-server on this work; PostgreSQL: psql running the
# same upserts) and a plain client doing the same work without Gale
# (gale-bench-redis-mover), with Gale's steady rate as a share of each; for
# Redis, redis-benchmark's XADD alone and that share too. Then what each
# record cost redis-server, under Gale and under the plain client.
printf '%-28s %10s %10s %12s %6s %12s %6s %12s %6s\n' "pipeline ($records records)" "gale" \
  "steady" "server" "share" "plain" "share" "xadd-only" "share"
printf '%-28s %10s %10s %12s %6s %12s %6s %12s %6s\n' "Redis -> Gale -> Redis" "$gale_redis" \
  "$steady_redis" "$base_redis" "$(pct "$steady_redis" "$base_redis")" "$plain_redis" \
  "$(pct "$steady_redis" "$plain_redis")" "$xadd_redis" "$(pct "$steady_redis" "$xadd_redis")"
printf '%-28s %10s %10s %12s %6s %12s %6s %12s %6s\n' "Redis -> Gale -> PostgreSQL" "$gale_pg" \
  "$steady_pg" "$base_pg" "$(pct "$steady_pg" "$base_pg")" "$plain_pg" \
  "$(pct "$steady_pg" "$plain_pg")" "-" "-"
echo "redis-server CPU per record moved: under Gale ${gale_redis_us} us, under the plain client ${plain_redis_us} us"

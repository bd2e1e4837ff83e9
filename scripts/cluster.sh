#!/usr/bin/env bash
# A local cluster on loopback: one nimbus and two supervisors with two slots
# each, logs and pids under one run directory.
#
#   scripts/cluster.sh start | stop | status
#
# Environment: GALE_RUN_DIR (default build/cluster), GALE_NIMBUS_PORT (6627),
# GALE_SUPERVISOR_PORTS ("6700,6701 6710,6711": one list per supervisor),
# GALE_UI_PORT (8080: the web UI, REST API and /metrics of gale-ui; 0 runs none).
# Stopping a supervisor stops its workers; `stop` ends only the processes
# whose pids this script recorded.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
run="${GALE_RUN_DIR:-$build/cluster}"
nimbus_port="${GALE_NIMBUS_PORT:-6627}"
read -r -a supervisor_ports <<< "${GALE_SUPERVISOR_PORTS:-6700,6701 6710,6711}"
ui_port="${GALE_UI_PORT:-8080}"
nimbus="127.0.0.1:$nimbus_port"
gale="$build/bin/gale"

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() {  # pidfile name
  local pidfile=$1 name=$2
  if alive "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then echo "cluster: $name did not stop; killing it"; kill -KILL "$pid"; fi
    echo "cluster: stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

start() {
  mkdir -p "$run/logs" "$run/pids"
  if alive "$run/pids/nimbus.pid"; then
    echo "cluster: already running (nimbus pid $(cat "$run/pids/nimbus.pid")); scripts/cluster.sh stop first"
    exit 1
  fi
  "$build/bin/gale-nimbus" --host 127.0.0.1 --port "$nimbus_port" --state-dir "$run/nimbus" \
    >> "$run/logs/nimbus.log" 2>&1 &
  echo $! > "$run/pids/nimbus.pid"
  for _ in $(seq 1 100); do
    "$gale" list --nimbus "$nimbus" > /dev/null 2>&1 && break
    alive "$run/pids/nimbus.pid" || { echo "cluster: nimbus exited; see $run/logs/nimbus.log"; tail -5 "$run/logs/nimbus.log"; exit 1; }
    sleep 0.1
  done
  local i=1
  for ports in "${supervisor_ports[@]}"; do
    "$build/bin/gale-supervisor" --nimbus "$nimbus" --ports "$ports" --host 127.0.0.1 \
      --id "supervisor-$i" --state-dir "$run/supervisor-$i" --logviewer-port 0 \
      >> "$run/logs/supervisor-$i.log" 2>&1 &
    echo $! > "$run/pids/supervisor-$i.pid"
    i=$((i + 1))
  done
  # Wait until every supervisor has registered.
  local want=${#supervisor_ports[@]}
  for _ in $(seq 1 100); do
    local n; n=$("$gale" list --nimbus "$nimbus" 2>/dev/null | sed -n 's/^\([0-9]*\) supervisor(s).*/\1/p')
    [[ "${n:-0}" -ge "$want" ]] && break
    sleep 0.1
  done
  echo "cluster: nimbus on $nimbus, ${#supervisor_ports[@]} supervisors (slots ${supervisor_ports[*]}), logs in $run/logs"
  if [[ "$ui_port" != 0 ]]; then
    "$build/bin/gale-ui" --nimbus "$nimbus" --host 127.0.0.1 --port "$ui_port" \
      >> "$run/logs/ui.log" 2>&1 &
    echo $! > "$run/pids/ui.pid"
    for _ in $(seq 1 50); do
      grep -q "gale-ui listening" "$run/logs/ui.log" 2>/dev/null && break
      alive "$run/pids/ui.pid" || { echo "cluster: gale-ui exited; see $run/logs/ui.log"; tail -3 "$run/logs/ui.log"; break; }
      sleep 0.1
    done
    alive "$run/pids/ui.pid" && echo "cluster: web UI on http://127.0.0.1:$ui_port/ (REST API under /api/v1/, Prometheus metrics at /metrics)"
  fi
  return 0
}

stop() {
  stop_pid "$run/pids/ui.pid" gale-ui
  for f in "$run"/pids/supervisor-*.pid; do
    [[ -e "$f" ]] && stop_pid "$f" "$(basename "$f" .pid)"
  done
  stop_pid "$run/pids/nimbus.pid" nimbus
  return 0
}

status() {
  for f in "$run"/pids/*.pid; do
    [[ -e "$f" ]] || continue
    if alive "$f"; then echo "$(basename "$f" .pid): running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid): not running"; fi
  done
  "$gale" list --nimbus "$nimbus" || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: scripts/cluster.sh start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# gale-bench-probe measure reports the sink's slowest and fastest whole
# second of the window (sink_per_sec_range), read from the count files
# alone: a count file written ahead of time (steady-clock nanos, count, ten
# samples a second) holds 1 000 tuples/s until 2.5 s from now and
# 3 000 tuples/s after, so a 4 s window that starts within 1.5 s of now has
# a first second at 1 000 and a last one at 3 000. No process is started:
# the probe measures this shell's CPU.
#
#   test/bench/probe_range_test.sh BUILD_DIR
set -euo pipefail

build="$(cd "${1:?usage: probe_range_test.sh BUILD_DIR}" && pwd)"
tmp="$(mktemp -d /tmp/gale-probe-test.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tmp/sink.count" <<'PY'
import sys, time
now = time.monotonic_ns()
switch = now + 2_500_000_000
count, t = 0.0, now - 1_000_000_000
with open(sys.argv[1], "w") as f:
    while t <= now + 12_000_000_000:
        f.write(f"{t} {count:.0f}\n")
        count += (1000 if t < switch else 3000) / 10
        t += 100_000_000
PY

out=$("$build/bin/gale-bench-probe" measure --dir "$tmp" --pids $$ --warmup 0 --window 4)
echo "$out"
range=$(sed -n 's/^sink_per_sec_range=//p' <<< "$out")
if [[ "$range" != "1000,3000" ]]; then
  echo "FAIL: sink_per_sec_range is '$range', not 1000,3000" >&2
  exit 1
fi
echo "PASS"

#!/usr/bin/env bash
# Chaos on a real cluster: the audit topology on nimbus and two supervisors
# (loopback, free ports), while every 2 to 4 s a random process is
# SIGKILLed: a worker (its supervisor must start a new one within 2 s), a
# supervisor (started again after 1 s; it must adopt its workers, not
# restart them) or nimbus (started again after 1 s). At the end
# scripts/audit-check.sh must find every id at the sink. It is the fault
# test "Chaos: ..." run longer (the test suite runs it for 30 s).
#
#   scripts/chaos.sh [--seconds 300] [--seed 1]
#
# Prints each kill and recovery ("[measure] chaos: ...") and the summary.
# Run scripts/setup.sh (or scripts/test.sh) first: this uses build/bin.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
seconds=300 seed=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number} ;;
    --seed) seed=${2:?--seed needs a number} ;;
    *) echo "chaos: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
[[ -x "$build/bin/fault_tests" ]] || { echo "chaos: no $build/bin/fault_tests; run scripts/setup.sh" >&2; exit 2; }
GALE_CHAOS_SECS="$seconds" GALE_CHAOS_SEED="$seed" \
  "$build/bin/fault_tests" --warn NoTests "Chaos: random SIGKILLs of workers and supervisors and nimbus lose no id"

#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite, in two
# stages:
#
#   1. the main build (warnings are errors): unit tests, the codec under
#      AddressSanitizer, the check that setup installs every command the
#      scripts and tests call, the integration tests that start real
#      processes, and the quick benchmark run;
#   2. sanitizers (scripts/sanitizers.sh): every unit test under ASan + UBSan
#      (build-asan/), and the runtime, acking and queue tests under TSan
#      (build-tsan/).
#
#   scripts/test.sh             both stages
#   scripts/test.sh ARGS...     stage 1 only, ARGS passed to ctest
#                               (e.g. -R acking, -L integration)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
start=$SECONDS

"$root/scripts/setup.sh"
cd "$build"
# Two tests per core: most of stage 1 waits on real processes (restarts,
# heartbeats, timeouts), and at one test per core it used 0.72 of the 2 cores
# (685 s); at two it used 1.24 and took 416 s, each test as long as before.
# GALE_TEST_JOBS sets it.
jobs="${GALE_TEST_JOBS:-$((2 * $(nproc)))}"
echo "test: stage 1: the main build's tests ($jobs at a time)"
# Every test bounds its own waits; the timeout is a last line of defence.
ctest --output-on-failure -j "$jobs" --timeout 600 "$@"
(($#)) && exit 0
echo "test: stage 1 done after $((SECONDS - start)) s; stage 2: sanitizers"
"$root/scripts/sanitizers.sh"
echo "test: both stages passed in $((SECONDS - start)) s"

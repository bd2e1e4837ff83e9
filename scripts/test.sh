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
echo "test: stage 1: the main build's tests"
# Every test bounds its own waits; the timeout is a last line of defence.
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
(($#)) && exit 0
echo "test: stage 1 done after $((SECONDS - start)) s; stage 2: sanitizers"
"$root/scripts/sanitizers.sh"
echo "test: both stages passed in $((SECONDS - start)) s"

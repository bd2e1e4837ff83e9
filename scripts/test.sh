#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: unit tests,
# the codec under AddressSanitizer, and the integration tests that start real
# processes. Extra arguments go to ctest (e.g. -R acking, -L integration).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
cd "$build"
# Every test bounds its own waits; the timeout is a last line of defence.
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"

#!/usr/bin/env bash
# Stage 2 of scripts/test.sh: the unit tests under sanitizers, each in a build
# directory of its own next to the main one (only the unit test binary and
# what it links are built there):
#
#   build-asan/  GALE_SANITIZE=address: AddressSanitizer + UBSan (no recovery:
#                the first error fails the test), every unit test
#   build-tsan/  GALE_SANITIZE=thread: ThreadSanitizer, the tests tagged
#                [runtime], [acking], [chaining] and [transport]
#                (executors, queues, ackers, chains, the ZeroMQ transport:
#                the code that runs on several threads), with libzmq's
#                internals suppressed (test/tsan.supp: it is not instrumented)
#
# Both build at -O1 -g1 (CMakeLists.txt says why) with warnings as errors.
# Run after scripts/setup.sh (test.sh does); GALE_BUILD_DIR moves the main
# build and these with it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
jobs="${GALE_JOBS:-$(nproc)}"

configure() {  # dir sanitizer
  if [[ ! -f "$1/build.ninja" ]] || ! grep -qx "GALE_SANITIZE:STRING=$2" "$1/CMakeCache.txt"; then
    cmake -S "$root" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGALE_SANITIZE="$2" \
      -DGALE_WERROR=ON >/dev/null
  fi
}

for s in address thread; do
  dir="$build-${s/address/asan}"
  dir="${dir/%-thread/-tsan}"
  configure "$dir" "$s"
  echo "sanitizers: building the unit tests in $dir ($s, $jobs jobs)"
  cmake --build "$dir" -j "$jobs" --target unit_tests
  (cd "$dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600 -L unit)
done

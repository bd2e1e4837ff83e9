#!/usr/bin/env bash
# Builds Gale's .deb from the build directory:
#   scripts/package.sh [OUT_DIR]     (default: the build directory)
# It installs under /usr, the config in /etc/gale and the systemd units in
# /lib/systemd/system; see cmake/packaging/README.md. Prints the .deb's path.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
out="$(mkdir -p "${1:-$build}" && cd "${1:-$build}" && pwd)"

[[ -f "$build/CMakeCache.txt" ]] || { echo "package: no build in $build; run scripts/setup.sh first" >&2; exit 2; }
cmake --build "$build" -j "${GALE_JOBS:-$(nproc)}" --target gale gale-nimbus gale-supervisor \
  gale-worker gale-ui gale_files gale_redis gale_postgres gale_kafka wordcount > /dev/null
(cd "$build" && cpack -G DEB -B "$out" > "$out/cpack.log" 2>&1) ||
  { echo "package: cpack failed:" >&2; cat "$out/cpack.log" >&2; exit 1; }
ls "$out"/gale_*_*.deb

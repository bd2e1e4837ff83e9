#!/usr/bin/env bash
# Installs what Gale needs from Debian's archive (only what is missing), then
# configures and builds everything into build/ (or $GALE_BUILD_DIR).
#
#   scripts/setup.sh                 install + build
#   scripts/setup.sh --no-build      install only
#   scripts/setup.sh --list-packages the Debian packages it installs, one a line
#   scripts/setup.sh --list-commands "package command" where a command on PATH
#                                    counts as the package (scripts/check-commands.sh)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"

packages=(
  g++ cmake ninja-build ccache pkg-config
  libzmq3-dev cppzmq-dev
  libthrift-dev thrift-compiler
  libboost-dev
  libyaml-cpp-dev
  libssl-dev
  libxxhash-dev
  catch2
  python3 python3-thrift    # the Python client (clients/python), for /usr/bin/python3
  python3-msgpack           # gale_multilang's msgpack serializer in C (else its pure-Python one)
  python3-venv python3-pip python3-setuptools python3-wheel  # the client packages, installed into a venv by their tests
  nodejs npm                # the Node.js client (clients/js)
  bsdextrautils             # column (bench.sh's table)
  procps                    # ps, kill (scripts, bench.sh)
  clang-format              # scripts/check-format.sh
  chromium chromium-driver  # the web UI's browser test (test/ui), driven over WebDriver
  prometheus                # the /metrics scrape test (a real Prometheus server)
  curl                      # scripts and tests that call the REST API
  redis-server redis-tools libhiredis-dev  # Redis connectors and state backend (tests run their own server)
  postgresql libpq-dev             # the PostgreSQL sink (tests run their own server)
  librdkafka-dev                   # the Kafka connectors (tested on librdkafka's mock cluster)
  librocksdb-dev                   # the embedded state backend
  zookeeper libzookeeper-mt-dev    # HA nimbus: the C client, and the server its tests start
  systemd                          # systemd-analyze verify of the installed units (test/hosts)
  iproute2                         # ip netns: the multi-host tests' network namespaces (test/hosts)
)
# Packages that count as present when their command is on PATH (node may come
# from elsewhere, e.g. /usr/local or a nodejs build that bundles npm).
declare -A commands=([nodejs]=node [npm]=npm)

case "${1:-}" in
  --list-packages) printf '%s\n' "${packages[@]}"; exit 0 ;;
  --list-commands) for p in "${!commands[@]}"; do echo "$p ${commands[$p]}"; done; exit 0 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if [[ -n "${commands[$p]:-}" ]] && command -v "${commands[$p]}" >/dev/null; then
    continue
  fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present"
fi

# The npm packages of the Node.js client, exactly as package-lock.json pins them
# (again only when the lock file changed since the last install).
js="$root/clients/js"
if [[ ! -f "$js/node_modules/.package-lock.json" || "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]]; then
  echo "setup: npm ci in clients/js"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
fi

[[ "${1:-}" == "--no-build" ]] && exit 0

jobs="${GALE_JOBS:-$(nproc)}"
# Warnings in Gale's own code are errors in this build (GALE_WERROR=OFF in the
# environment turns that off, e.g. for a newer compiler with new warnings).
werror="${GALE_WERROR:-ON}"
if [[ ! -f "$build/build.ninja" ]] || ! grep -qx "GALE_WERROR:BOOL=$werror" "$build/CMakeCache.txt"; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGALE_WERROR="$werror" \
    >/dev/null
fi
echo "setup: building in $build ($jobs jobs)"
cmake --build "$build" -j "$jobs"

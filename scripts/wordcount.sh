#!/usr/bin/env bash
# Installs what is missing, builds, and runs the word-count topology in local
# mode on the bundled text: prints the top 10 words and the per-component
# table, and writes every count to wordcount-counts.txt (in $GALE_RUN_DIR,
# default build/run).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
run="${GALE_RUN_DIR:-$build/run}"

"$root/scripts/setup.sh"
mkdir -p "$run"
cd "$run"
"$build/bin/gale" local "$root/topologies/wordcount/wordcount.yaml" "$@"
echo
echo "all counts: $run/wordcount-counts.txt ($(wc -l < wordcount-counts.txt) words)"

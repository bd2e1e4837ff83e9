#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts a local cluster
# (nimbus and two supervisors on loopback, scripts/cluster.sh), submits the
# word-count topology on two workers, and shows its results arriving: `gale
# info` twice, the top words so far, `gale list`. Then it kills the topology
# and stops the cluster (give --keep to leave both running).
#
# GALE_WC_SECONDS (default 10) is how long it lets word count run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
run="${GALE_RUN_DIR:-$build/cluster}"
seconds="${GALE_WC_SECONDS:-10}"
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

"$root/scripts/setup.sh"
export GALE_RUN_DIR="$run"
export GALE_NIMBUS="127.0.0.1:${GALE_NIMBUS_PORT:-6627}"
gale="$build/bin/gale"

cleanup() {
  if [[ $keep -eq 0 ]]; then
    "$gale" kill wordcount --wait 0 > /dev/null 2>&1 || true
    sleep 1
    "$root/scripts/cluster.sh" stop
  fi
}
"$root/scripts/cluster.sh" start
trap cleanup EXIT

mkdir -p "$run"
counts="$run/wordcount-counts.txt"
rm -f "$counts"
cat > "$run/wordcount.properties" <<PROPS
report.file=$counts
sentences.per.second=500
PROPS

echo
"$gale" submit "$root/topologies/wordcount/wordcount-cluster.yaml" --filter "$run/wordcount.properties"
half=$(( seconds / 2 ))
sleep "$half"
echo
"$gale" info wordcount
sleep $(( seconds - half ))
echo
"$gale" info wordcount
echo
echo "top 10 words so far ($counts, $(wc -l < "$counts" 2>/dev/null || echo 0) distinct words):"
sort -t $'\t' -k2,2nr -k1,1 "$counts" 2>/dev/null | head -10 | sed 's/^/  /'
echo
"$gale" list
if [[ $keep -eq 1 ]]; then
  echo
  echo "left running (see it at http://127.0.0.1:${GALE_UI_PORT:-8080}/): gale kill wordcount; scripts/cluster.sh stop"
fi

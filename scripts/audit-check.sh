#!/usr/bin/env bash
# Reads an audit topology's logs and reports what happened to every id:
#   scripts/audit-check.sh AUDIT_DIR COUNT
# prints: count, emitted (emits, replays included), acked at the spout,
# seen at the sink, missing (never seen at the sink), duplicates (seen more
# than once), and exits 0 only when nothing is missing and every id was acked.
set -euo pipefail
dir=${1:?usage: audit-check.sh AUDIT_DIR COUNT}
count=${2:?usage: audit-check.sh AUDIT_DIR COUNT}
shopt -s nullglob
cat_all() { local f; for f in "$@"; do cat "$f"; done; }
emitted=$(cat_all "$dir"/emitted-*.log | wc -l)
acked=$(cat_all "$dir"/acked-*.log | sort -u | wc -l)
seen=$(cat_all "$dir"/sink-*.log | sort -u | wc -l)
duplicates=$(cat_all "$dir"/sink-*.log | sort | uniq -d | wc -l)
missing_ids=$(comm -23 <(seq 0 $((count - 1)) | sort) <(cat_all "$dir"/sink-*.log | sort -u))
missing=$(printf '%s' "$missing_ids" | grep -c . || true)
echo "count $count emitted $emitted acked $acked seen $seen missing $missing duplicates $duplicates"
if [[ $missing -gt 0 ]]; then
  echo "missing ids (first 20): $(printf '%s\n' "$missing_ids" | head -20 | tr '\n' ' ')"
fi
[[ $missing -eq 0 && $acked -eq $count ]]

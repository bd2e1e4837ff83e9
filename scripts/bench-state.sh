#!/usr/bin/env bash
# What state and exactly once cost (issue 15): the word count over a
# generated corpus under `gale local`, split x2 and count x2, acked, in
# three forms, one run each, in the same run:
#
#   plain         SentenceSpout -> SplitSentence -> WordCount (counts in memory)
#   at-least-once SentenceSpout -> SplitSentence -> StatefulWordCount (RocksDB,
#                 checkpoints every 200 ms, max.spout.pending 5000)
#   exactly-once  StatefulSentenceSpout -> SplitSentence -> StatefulWordCount
#                 (the same store and interval; aligned checkpoints)
#   at-least-once-window, exactly-once-window
#                 the same two with WindowedWordCount (a StatefulWindowedBolt,
#                 1 s tumbling windows) counting: persistent windows, whose
#                 tuples are checkpointed with the totals
#
# Each prints lines/s and words/s over the whole `gale local` run (start-up
# included) and checks the counts the report bolt wrote against the
# corpus's exact counts; the script exits 1 when any differ. No timing is
# asserted (ctest runs it small).
#
#   scripts/bench-state.sh [--lines N] [--no-build]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
lines=300000
do_build=1
while (($#)); do
  case "$1" in
    --lines) lines="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    *) echo "bench-state: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if ((do_build)); then
  ninja -C "$build" -j "${GALE_JOBS:-1}" gale gale-worker wordcount >/dev/null
fi

dir="$(mktemp -d /tmp/gale-bench-state.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
# Three words a line over eight, as the state tests' corpus.
awk -v n="$lines" 'BEGIN {
  split("alpha beta gamma delta eps zeta eta theta", w, " ");
  for (i = 0; i < n; i++) print w[i % 8 + 1], w[(i * 3 + 1) % 8 + 1], w[(i * 5 + 2) % 8 + 1];
}' > "$dir/corpus.txt"
words=$((lines * 3))
tr ' ' '\n' < "$dir/corpus.txt" | sort | uniq -c | awk '{ print $2 "\t" $1 }' | sort > "$dir/exact.txt"

run() {
  local name="$1" spout="$2" count="$3" extra="$4"
  local run_dir="$dir/$name"
  mkdir -p "$run_dir"
  cat > "$run_dir/wc.yaml" <<EOF
name: bench-state
config:
  topology.state.provider: rocksdb
  topology.state.checkpoint.interval.ms: 200
$extra
plugins: [ $build/lib/libwordcount.so ]
spouts:
  - { id: sentences, className: $spout, config: { sentences.file: $dir/corpus.txt } }
bolts:
  - { id: split, className: SplitSentence, parallelism: 2 }
  - { id: count, className: $count, parallelism: 2 }
  - { id: report, className: ReportBolt, config: { report.file: $run_dir/counts.txt } }
streams:
  - { from: sentences, to: split, grouping: { type: SHUFFLE } }
  - { from: split, to: count, grouping: { type: FIELDS, args: [word] } }
  - { from: count, to: report, grouping: { type: GLOBAL } }
EOF
  local start end
  start=$(date +%s.%N)
  (cd "$run_dir" && "$build/bin/gale" local wc.yaml > out.txt 2> err.txt) ||
    { echo "bench-state: $name failed:"; tail -20 "$run_dir/err.txt"; exit 1; }
  end=$(date +%s.%N)
  local ok="counts exact"
  if ! sort "$run_dir/counts.txt" | cmp -s - "$dir/exact.txt"; then
    ok="COUNTS DIFFER"
    failed=1
  fi
  awk -v name="$name" -v s="$start" -v e="$end" -v l="$lines" -v w="$words" -v ok="$ok" \
    'BEGIN { t = e - s; printf "%-20s %8.2f s  %9.0f lines/s  %9.0f words/s  %s\n", name, t, l / t, w / t, ok }'
}

failed=0
echo "bench-state: $lines lines ($words words), gale local, split x2, count x2, acked"
run plain SentenceSpout WordCount "  topology.max.spout.pending: 5000"
run at-least-once SentenceSpout StatefulWordCount "  topology.max.spout.pending: 5000"
run exactly-once StatefulSentenceSpout StatefulWordCount ""
window="WindowedWordCount, window: { tumbling: 1s }"
run at-least-once-window SentenceSpout "$window" "  topology.max.spout.pending: 5000"
run exactly-once-window StatefulSentenceSpout "$window" ""
exit "$failed"

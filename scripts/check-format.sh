#!/usr/bin/env bash
# Checks that every C++ source follows .clang-format (a ctest entry, so CI
# fails on a file that does not). Fix with:
#   clang-format -i $(git ls-files '*.cc' '*.h')
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mapfile -t files < <(find core nimbus supervisor worker bench test topologies clients \
  -name '*.cc' -o -name '*.h' | grep -v '/node_modules/' | sort)
if ! out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
  echo "$out" | grep -E '^[^ ].*(error|warning):' | head -20
  echo "check-format: these files do not follow .clang-format; run: clang-format -i FILE..." >&2
  exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"

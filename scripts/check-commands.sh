#!/usr/bin/env bash
# Checks that every command the scripts and the tests call is installed by
# scripts/setup.sh on a fresh Debian 12 (minbase) machine: each must come from
# a Debian package that setup installs (or one those depend on), or from a
# package of priority "required" (what debootstrap's minbase variant has).
# A command that works here only because someone installed it by hand (the
# `column` of bench.sh once did) fails the check, with the package to add.
#
#   scripts/check-commands.sh          check; exit 1 naming what is missing
#   scripts/check-commands.sh --list   print each command and where it comes from
#
# What counts as a call: in scripts/*.sh and test/*/*.sh, the first word of every simple
# command, as scripts/shell_commands.py finds them, leaving out shell keywords,
# builtins and the scripts' own functions (commands named by a variable or a
# path are the project's own binaries); in the C++ tests, the program of every
# RunProcess({"prog", ...}) with a literal name, "/usr/bin/prog" literals, and
# the first word of `sh -c` command lines.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list=0
[[ "${1:-}" == "--list" ]] && list=1

# --- the commands ----------------------------------------------------------
script_commands() {  # scripts/shell_commands.py parses them
  /usr/bin/python3 "$root/scripts/shell_commands.py" "$root"/scripts/*.sh "$root"/test/*/*.sh \
    "$root/.ci/run" |
    grep -E '^[a-z][a-z0-9._+-]*$' || true
}

functions_defined() {
  grep -hoE '^[[:space:]]*[a-z_][a-z0-9_]*\(\)' "$root"/scripts/*.sh "$root"/test/*/*.sh |
    tr -d '() \t' || true
}

test_commands() {
  local src="$root/test"
  grep -rhoE 'RunProcess\(\{"[a-z][a-z0-9._+-]*"' "$src" | sed -E 's/.*\{"([^"]*)"/\1/' || true
  grep -rhoE '"/usr/bin/[a-z][a-z0-9._+-]*"' "$src" | sed -E 's|"/usr/bin/([^"]*)"|\1|' || true
  # sh -c "A=b cmd ...": the command of the shell line.
  grep -rhoE '"sh", "-c", "[^"]*' "$src" | sed -E 's/.*"-c", "//' |
    sed -E ':a; s/^[A-Za-z_][A-Za-z0-9_]*=[^[:space:]]*[[:space:]]+//; ta' |
    grep -oE '^[a-z][a-z0-9._+-]*' || true
}

mapfile -t functions < <(functions_defined | sort -u)
declare -A skip=()
for f in "${functions[@]}"; do skip[$f]=1; done

mapfile -t commands < <({ script_commands; test_commands; } | sort -u)

# --- what setup installs ----------------------------------------------------
mapfile -t setup_packages < <("$root/scripts/setup.sh" --list-packages)
declare -A setup_command=()  # packages setup accepts as present by command (node, npm)
while read -r pkg cmd; do setup_command[$cmd]=$pkg; done < <("$root/scripts/setup.sh" --list-commands)
# The setup packages and everything they depend on, as dpkg has them installed
# (Depends and Pre-Depends, recursively; alternatives and virtual packages
# resolved to what is installed).
declare -A installed_by_setup=()
while read -r p; do installed_by_setup[$p]=1; done < <(
  dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}|${Depends}, ${Pre-Depends}\n' |
    awk -v roots="${setup_packages[*]}" '
      $1 != "ii" { next }
      {
        split($0, halves, "|")
        n = split(halves[1], head, /[ ,]+/)
        pkg = head[2]; installed[pkg] = 1
        for (i = 3; i <= n; i++) { sub(/\(.*/, "", head[i]); if (head[i] != "") provider[head[i]] = pkg }
        deps[pkg] = halves[2]
      }
      END {
        split(roots, queue, " "); tail = length(queue)
        for (i = 1; i <= tail; i++) seen[queue[i]] = 1
        for (h = 1; h <= tail; h++) {
          p = queue[h]
          if (!(p in installed) && (p in provider)) p = provider[p]
          print p
          m = split(deps[p], alts, /,/)
          for (j = 1; j <= m; j++) {
            k = split(alts[j], choice, /\|/)
            for (c = 1; c <= k; c++) {
              d = choice[c]; gsub(/\(.*\)|:any|[ \t]/, "", d)
              if (d == "") continue
              if (!(d in installed) && (d in provider)) d = provider[d]
              if (d in installed) { if (!(d in seen)) { seen[d] = 1; queue[++tail] = d }; break }
            }
          }
        }
      }')
for p in "${setup_packages[@]}"; do installed_by_setup[$p]=1; done

owner() {  # the Debian package that owns command $1's file, or nothing
  local path real candidate
  path=$(command -v "$1" 2>/dev/null || true)
  real=$(readlink -f "$path" 2>/dev/null || true)
  for candidate in "$real" "$path" "/usr/bin/$1" "/bin/$1" "/usr/sbin/$1" "/sbin/$1" \
      "$(readlink -f "/usr/bin/$1" 2>/dev/null || true)"; do
    [[ -n "$candidate" && -e "$candidate" ]] || continue
    local pkg
    pkg=$(dpkg -S "$candidate" 2>/dev/null | grep -v '^diversion' | head -1 | cut -d: -f1 || true)
    [[ -n "$pkg" ]] && { echo "$pkg"; return; }
  done
}

missing=()
checked=0
for c in "${commands[@]}"; do
  [[ -n "${skip[$c]:-}" ]] && continue
  kind=$(type -t "$c" 2>/dev/null || true)
  [[ "$kind" == "keyword" || "$kind" == "builtin" ]] && continue
  checked=$((checked + 1))
  if [[ -n "${setup_command[$c]:-}" ]]; then
    ((list)) && echo "$c: setup installs ${setup_command[$c]} unless '$c' is on PATH"
    continue
  fi
  pkg=$(owner "$c")
  if [[ -z "$pkg" ]]; then
    missing+=("$c: no Debian package provides it on this machine")
    continue
  fi
  priority=$(dpkg-query -W -f='${Priority}' "$pkg" 2>/dev/null || true)
  if [[ "$priority" == "required" ]]; then
    ((list)) && echo "$c: $pkg (priority required: on every Debian)"
  elif [[ -n "${installed_by_setup[$pkg]:-}" ]]; then
    ((list)) && echo "$c: $pkg (installed by setup)"
  else
    missing+=("$c: from package $pkg (priority $priority), which scripts/setup.sh does not install")
  fi
done

if ((${#missing[@]})); then
  echo "check-commands: commands the scripts or tests call that a fresh Debian 12 lacks after setup:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "add the package to scripts/setup.sh, or stop calling the command" >&2
  exit 1
fi
echo "check-commands: $checked commands, each from a required package or one setup installs"

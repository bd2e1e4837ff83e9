#!/usr/bin/env bash
# Gale installed as an operator installs it:
#  1. `cmake --install` into a temporary prefix: the programs, plugins, UI
#     pages, examples, config and systemd units are there; the units pass
#     `systemd-analyze verify` (their programs exist); a cluster of the
#     installed nimbus and supervisor, started with the installed config,
#     runs the installed word-count example with its plugin found in
#     <prefix>/lib/gale, and the installed gale-ui serves its pages.
#  2. scripts/package.sh builds the .deb: every dependency it declares is a
#     Debian package installed here, it holds the programs, units and config
#     (a conffile), and its programs run from the unpacked tree.
# Every process it starts is stopped by pid on exit, also on failure.
#
#   test/hosts/install_test.sh BUILD_DIR
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$(cd "${1:?usage: install_test.sh BUILD_DIR}" && pwd)"
tmp="$(mktemp -d /tmp/gale-install-test.XXXXXX)"
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  local log
  for log in "$tmp"/*.log; do [[ -f "$log" ]] && { echo "--- $log" >&2; tail -20 "$log" >&2; }; done
  exit 1
}
# wait_for SECONDS WHAT COMMAND...: polls every 0.2 s.
wait_for() {
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" > /dev/null 2>&1; do
    ((SECONDS < end)) || fail "timed out after ${secs} s waiting for $what"
    sleep 0.2
  done
}

# ---- 1. cmake --install ---------------------------------------------------
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" || fail "cmake --install failed"
for f in bin/gale bin/gale-nimbus bin/gale-supervisor bin/gale-worker bin/gale-ui \
         lib/gale/libwordcount.so lib/gale/libgale_kafka.so lib/gale/libgale_redis.so \
         lib/gale/libgale_postgres.so lib/gale/libgale_files.so \
         share/gale/ui/www/index.html share/gale/examples/wordcount/wordcount-cluster.yaml \
         include/gale/gale.h lib/cmake/gale/galeConfig.cmake etc/gale/gale.yaml \
         lib/systemd/system/gale-nimbus.service lib/systemd/system/gale-supervisor.service \
         lib/systemd/system/gale-ui.service; do
  [[ -e "$prefix/$f" ]] || fail "cmake --install did not install $f"
done
grep -q "^ExecStart=$prefix/bin/gale-nimbus --config $prefix/etc/gale/gale.yaml" \
  "$prefix/lib/systemd/system/gale-nimbus.service" ||
  fail "gale-nimbus.service does not run the installed nimbus with the installed config"
systemd-analyze verify "$prefix"/lib/systemd/system/gale-*.service > "$tmp/verify.log" 2>&1 ||
  fail "systemd-analyze verify: $(cat "$tmp/verify.log")"
echo "ok: cmake --install put everything in place; the units verify"

# The installed daemons with the installed config; ports are flags (free ones).
read -r -a ports <<< "$("$build/bin/gale-bench-probe" free-ports 4)"
nimbus="127.0.0.1:${ports[0]}"
config="$prefix/etc/gale/gale.yaml"
"$prefix/bin/gale-nimbus" --config "$config" --port "${ports[0]}" --state-dir "$tmp/nimbus" \
  > "$tmp/nimbus.log" 2>&1 &
pids+=($!)
wait_for 30 "the installed nimbus" "$prefix/bin/gale" list --nimbus "$nimbus"
"$prefix/bin/gale-supervisor" --config "$config" --nimbus "$nimbus" --ports "${ports[1]},${ports[2]}" \
  --id installed-sup --state-dir "$tmp/supervisor" --logviewer-port 0 > "$tmp/supervisor.log" 2>&1 &
pids+=($!)
registered() { "$prefix/bin/gale" list --nimbus "$nimbus" | grep -q '^1 supervisor(s)'; }
wait_for 30 "the installed supervisor to register" registered

counts="$tmp/counts.txt"
printf 'report.file=%s\nsentences.per.second=500\n' "$counts" > "$tmp/wc.properties"
# From another directory: the plugin must come from <prefix>/lib/gale, not the build tree.
(cd "$tmp" && env -u GALE_PLUGIN_PATH "$prefix/bin/gale" submit \
  "$prefix/share/gale/examples/wordcount/wordcount-cluster.yaml" --filter "$tmp/wc.properties" \
  --nimbus "$nimbus") > "$tmp/submit.log" 2>&1 || fail "submit of the installed example: $(cat "$tmp/submit.log")"
grep -q "$prefix/lib/gale/libwordcount.so" "$tmp/submit.log" ||
  fail "the plugin was not taken from $prefix/lib/gale: $(cat "$tmp/submit.log")"
has_counts() { [[ -s "$counts" ]] && grep -q $'^the\t' "$counts"; }
wait_for 60 "word counts from the installed cluster" has_counts
echo "ok: the installed nimbus and supervisor run the installed word count ($(wc -l < "$counts") words)"

"$prefix/bin/gale-ui" --config "$config" --nimbus "$nimbus" --port "${ports[3]}" > "$tmp/ui.log" 2>&1 &
pids+=($!)
page() { curl -fsS "http://127.0.0.1:${ports[3]}/index.html" | grep -qi '<html'; }
wait_for 30 "the installed gale-ui to serve index.html" page
echo "ok: the installed gale-ui serves its pages from $prefix/share/gale/ui/www"
"$prefix/bin/gale" kill wordcount --wait 0 --nimbus "$nimbus" > /dev/null

# ---- 2. the .deb ---------------------------------------------------------
deb="$("$root/scripts/package.sh" "$tmp/deb")" || fail "scripts/package.sh failed"
[[ -f "$deb" ]] || fail "scripts/package.sh printed '$deb', which is not a file"
depends="$(dpkg-deb -f "$deb" Depends)"
[[ -n "$depends" ]] || fail "the .deb declares no dependencies"
IFS=',' read -r -a deps <<< "$depends"
for d in "${deps[@]}"; do
  d="$(echo "$d" | awk '{print $1}')"
  dpkg-query -W -f='${Status}\n' "$d" 2>/dev/null | grep -q '^install ok installed' ||
    fail "the .deb depends on '$d', which is not an installed Debian package"
done
dpkg-deb -c "$deb" | awk '{print $6}' > "$tmp/deb-files.txt"
for f in ./usr/bin/gale ./usr/bin/gale-nimbus ./usr/bin/gale-supervisor ./usr/bin/gale-worker \
         ./usr/bin/gale-ui ./usr/lib/gale/libwordcount.so ./etc/gale/gale.yaml \
         ./lib/systemd/system/gale-nimbus.service ./lib/systemd/system/gale-supervisor.service \
         ./lib/systemd/system/gale-ui.service ./usr/share/gale/ui/www/index.html; do
  grep -qxF "$f" "$tmp/deb-files.txt" || fail "the .deb lacks $f"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/gale/gale.yaml ||
  fail "/etc/gale/gale.yaml is not a conffile of the .deb"
dpkg-deb -x "$deb" "$tmp/unpacked"
grep -q '^ExecStart=/usr/bin/gale-supervisor --config /etc/gale/gale.yaml' \
  "$tmp/unpacked/lib/systemd/system/gale-supervisor.service" ||
  fail "the .deb's supervisor unit does not run /usr/bin/gale-supervisor with /etc/gale/gale.yaml"
"$tmp/unpacked/usr/bin/gale" version > "$tmp/version.log" 2>&1 && grep -qi gale "$tmp/version.log" ||
  fail "the packaged gale does not run: $(cat "$tmp/version.log")"
echo "ok: $(basename "$deb"): depends on ${#deps[@]} installed Debian packages; programs, units and conffile inside"

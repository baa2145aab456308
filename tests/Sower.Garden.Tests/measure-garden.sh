#!/usr/bin/env bash
# Measures sower-garden's start-to-connected time and idle memory against a real sower-server on loopback, for the
# garden as built (JIT) and as published (ReadyToRun, the production build), plus runtime knobs. Each variant runs
# RUNS times, interleaved with the others, and the median of each column is printed (docs/benchmarks.md, "Garden").
# Usage: dotnet build tests/Sower.Garden.Tests -c Release && tests/Sower.Garden.Tests/measure-garden.sh
# Environment: RUNS (default 3), IDLE seconds connected before memory is read (default 20),
#              PUBLISHED=<dir> to reuse a `dotnet publish src/Hosts/Garden -c Release -o <dir>` output,
#              BASELINE=<dir> another garden build (its folder with the sower-garden apphost, e.g. a publish of main) measured
#              side by side in the same run, BASELINE_LABEL its name in the table,
#              QUICK=1 to skip the runtime-knob variants.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
runs=${RUNS:-3}
idle=${IDLE:-20}
server_dll=$repo/src/Hosts/Server/bin/Release/net10.0/sower-server.dll
built=$repo/src/Hosts/Garden/bin/Release/net10.0/sower-garden
work=$(mktemp -d)
server_pid=""
pid=""
trap 'for p in $pid $server_pid; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

published=${PUBLISHED:-}
if [ -z "$published" ]; then
  published=$work/publish
  dotnet publish "$repo/src/Hosts/Garden" -c Release -o "$published" >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
fi
r2r=$published/sower-garden
baseline=${BASELINE:+$BASELINE/sower-garden}

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo 7399)
dotnet "$server_dll" --data-dir "$work/server" --urls "http://127.0.0.1:$port" --log-level Warning >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz/ready" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$port/healthz/ready" >/dev/null || {
  echo "sower-server never became ready within 60 s (load average $(cut -d' ' -f1-3 /proc/loadavg)); nothing measured" >&2
  tail -5 "$work/server.log" >&2; exit 1; }
admin=$(cat "$work/server/admin-token")
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/tokens" -H "Authorization: Bearer $admin" -H 'content-type: application/json' \
  -d '{"description":"measure","roles":["garden:register"]}' | sed -E 's/.*"token":"([^"]+)".*/\1/')

# One run: state directory (also the garden's name: a second enrollment under one name revokes the first one's
# credential), binary, env... → appends "up connected rss anon file shmem pss threads" (ms, KiB) to $out.
run_once() {
  local state=$1 bin=$2 out=$3; shift 3
  mkdir -p "$state"
  cat >"$state.json" <<JSON
{"endpoint":"http://127.0.0.1:$port","access_token":"$token","name":"$(basename "$state")","state_directory":"$state","admin_socket":"$state.sock",
 "activator_socket":"$work/act.sock","subscriptions":{"web":{"seed_type":"nixos","seed_name":"web01","schedule":"30 4 * * *"}}}
JSON
  local start up="" end
  start=$(date +%s%N)
  env "$@" "$bin" --config "$state.json" >"$state.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do
    [ -z "$up" ] && grep -q "sower-garden .* started" "$state.log" && up=$(date +%s%N)
    grep -q "garden session established" "$state.log" && break
    sleep 0.005
  done
  end=$(date +%s%N)
  [ -z "$up" ] && up=$end
  sleep "$idle"
  local st=/proc/$pid/status
  printf '%d %d %d %d %d %d %d %d\n' $(( (up - start) / 1000000 )) $(( (end - start) / 1000000 )) \
    "$(awk '/^VmRSS/ {print $2}' $st)" "$(awk '/^RssAnon/ {print $2}' $st)" "$(awk '/^RssFile/ {print $2}' $st)" \
    "$(awk '/^RssShmem/ {print $2}' $st)" "$(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup)" "$(awk '/^Threads/ {print $2}' $st)" >>"$out"
  # What the RSS is made of, kept for the last run of each variant (see breakdown below).
  awk '/^[0-9a-f]+-[0-9a-f]+ / { n = (NF >= 6) ? $6 : "[anon]" } /^Rss:/ { rss[n] += $2 }
       END { for (k in rss) {
               if (k ~ /doublemapper/) c = "JIT code + runtime type data (W^X double-mapped)"
               else if (k ~ /^\[/) c = "anonymous (GC heap, malloc, stacks)"
               else if (k ~ /\/shared\/Microsoft\.NETCore\.App\/.*\.dll$/) c = "framework assemblies"
               else if (k ~ /\.dll$/) c = "application and package assemblies"
               else c = "native libraries (runtime, libc, OpenSSL, SQLite)"
               sum[c] += rss[k] }
             for (c in sum) printf "%6.1f MiB  %s\n", sum[c] / 1024, c }' "/proc/$pid/smaps" | sort -rn >"$out.maps"
  awk '/^[0-9a-f]+-[0-9a-f]+ / { n = (NF >= 6) ? $6 : "[anon]" } /^Rss:/ { rss[n] += $2 }
       END { for (k in rss) if (k !~ /^\[/ && rss[k] >= 512) { m = k; sub(/.*\//, "", m); printf "%6.1f MiB  %s\n", rss[k] / 1024, m } }' \
    "/proc/$pid/smaps" | sort -rn | head -25 | paste -sd';' - | sed 's/;/; /g' >"$out.top"
  kill -TERM $pid; wait $pid || true; pid=""
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

labels=(); bins=(); envs=(); fresh=()
variant() { labels+=("$1"); bins+=("$2"); fresh+=("$3"); envs+=("${4:-X_MEASURE=1}"); }
variant "first start (enrolls), as built (JIT)" "$built" 1
variant "first start (enrolls), published ReadyToRun" "$r2r" 1
variant "restart, as built (JIT)" "$built" 0
variant "restart, published ReadyToRun" "$r2r" 0
if [ -n "$baseline" ]; then
  variant "first start (enrolls), baseline: ${BASELINE_LABEL:-$BASELINE}" "$baseline" 1
  variant "restart, baseline: ${BASELINE_LABEL:-$BASELINE}" "$baseline" 0
fi
if [ -z "${QUICK:-}" ]; then
variant "restart, as built + SDK runtime defaults (gcConcurrent=1, TieredPGO=1, ICU)" "$built" 0 "DOTNET_gcConcurrent=1 DOTNET_TieredPGO=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0"
variant "restart, ReadyToRun + DOTNET_TieredCompilation=0" "$r2r" 0 "DOTNET_TieredCompilation=0"
variant "restart, ReadyToRun + DOTNET_EnableWriteXorExecute=0" "$r2r" 0 "DOTNET_EnableWriteXorExecute=0"
variant "restart, ReadyToRun + DOTNET_GCgen0size=0x200000 (2 MiB gen0)" "$r2r" 0 "DOTNET_GCgen0size=0x200000"
variant "restart, ReadyToRun + DOTNET_GCName=libclrgc.so (segments GC)" "$r2r" 0 "DOTNET_GCName=libclrgc.so"
variant "restart, ReadyToRun + DOTNET_GCConserveMemory=5" "$r2r" 0 "DOTNET_GCConserveMemory=5"
fi
state_of() { case "$1" in "$built") echo built ;; "$r2r") echo r2r ;; *) echo base ;; esac; }

# Enroll the shared state directories of the restart variants once, one per binary.
run_once "$work/state-built" "$built" "$work/warmup" X=1
run_once "$work/state-r2r" "$r2r" "$work/warmup" X=1
[ -n "$baseline" ] && run_once "$work/state-base" "$baseline" "$work/warmup" X=1

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $runs runs per variant, medians; memory after ${idle} s idle"
for r in $(seq 1 "$runs"); do
  for i in "${!labels[@]}"; do
    state=$work/state-$(state_of "${bins[$i]}")
    [ "${fresh[$i]}" = 1 ] && state=$work/fresh-$i-$r
    # shellcheck disable=SC2086
    run_once "$state" "${bins[$i]}" "$work/v$i" ${envs[$i]}
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| variant | start → host up | start → connected | RSS | RssAnon | RssFile | RssShmem | PSS | threads |"
echo "|---|---|---|---|---|---|---|---|---|"
for i in "${!labels[@]}"; do
  col() { awk -v c="$1" '{ print $c }' "$work/v$i" | median; }
  mib() { awk -v k="$(col "$1")" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
  printf '| %s | %d ms | %d ms (%s) | %s | %s | %s | %s | %s | %d |\n' "${labels[$i]}" "$(col 1)" "$(col 2)" \
    "$(awk '{ print $2 }' "$work/v$i" | sort -n | paste -sd/ -)" "$(mib 3)" "$(mib 4)" "$(mib 5)" "$(mib 6)" "$(mib 7)" "$(col 8)"
done
for i in 2 3 5; do
  [ -f "$work/v$i.maps" ] || continue
  echo
  echo "RSS by mapping, last run of \"${labels[$i]}\":"
  cat "$work/v$i.maps"
  echo "largest files:"
  cat "$work/v$i.top"
done

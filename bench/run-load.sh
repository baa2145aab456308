#!/usr/bin/env bash
# The fleet-scale load harness (issue 17; docs/benchmarks.md "Fleet scale"): for each N, a fresh sower-server (SQLite,
# its own data directory) and then the floor (a minimal SignalR hub that only broadcasts, bench/Sower.Load/FloorServer.cs)
# each get N load gardens with the same client settings: enroll, connect, sync, one seed for all, acknowledge and report.
# Then seed intake over REST at concurrency 16 on a fresh server. Prints markdown tables. Loopback only; bounded: N ≤ 10,000
# and every phase ≤ LOAD_TIMEOUT seconds (default 180).
#
# Usage: bench/run-load.sh [--no-build] [--no-intake] N...     e.g. bench/run-load.sh 100 1000
# LOAD_IDLE=S averages the idle server's CPU over S seconds (default 10; longer to attach dotnet-trace). LOAD_KEEP=1 keeps the work directory (server logs, databases). LOAD_BASELINE=/path/to/another/sower-server adds a row for that build (before/after in the same run).
# LOAD_SERVER=/path/to/sower-server and LOAD_CLIENT=/path/to/sower-load run those builds instead of this checkout's (e.g. copies,
# so a rebuild during the run cannot change them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=1 intake=1
sizes=()
for a in "$@"; do
  case $a in
    --no-build) build=0 ;;
    --no-intake) intake=0 ;;
    *) [[ $a =~ ^[0-9]+$ && $a -ge 1 && $a -le 10000 ]] || { echo "run-load.sh: N must be 1..10000, got '$a'" >&2; exit 2; }; sizes+=("$a") ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(100)
timeout_s=${LOAD_TIMEOUT:-180}
idle_s=${LOAD_IDLE:-10}
seeds=${LOAD_INTAKE_SEEDS:-1000}
if [ $build = 1 ]; then
  dotnet build "$root/src/Hosts/Server" -c Release -nologo -v q >/dev/null
  dotnet build "$root/bench/Sower.Load" -c Release -nologo -v q >/dev/null
fi
server_bin=${LOAD_SERVER:-"$root/src/Hosts/Server/bin/Release/net10.0/sower-server"}
load_bin=${LOAD_CLIENT:-"$root/bench/Sower.Load/bin/Release/net10.0/sower-load"}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/sower-load.XXXXXX)
pid=""
stop() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi; pid=""; }
trap 'stop; [ "${LOAD_KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 1200); do curl -fsS "$1/healthz/ready" >/dev/null 2>&1 && return 0; kill -0 "$pid" 2>/dev/null || return 1; sleep 0.5; done; return 1; }

start_server() { # NAME [BINARY] → $pid, $url, $token
  local dir="$work/server-$1" port; port=$(free_port); mkdir -p "$dir"; url="http://127.0.0.1:$port"
  "${2:-$server_bin}" --data-dir "$dir" --urls "$url" >"$dir/log" 2>&1 & pid=$!
  wait_ready "$url" || { echo "sower-server did not become ready (log: $dir/log)" >&2; tail -20 "$dir/log" >&2; exit 1; }
  token="$dir/admin-token"
}
start_floor() {
  local port; port=$(free_port); url="http://127.0.0.1:$port"
  DOTNET_gcServer=1 "$load_bin" floor-server --urls "$url" >"$work/floor-$1.log" 2>&1 & pid=$!
  wait_ready "$url" || { echo "floor did not become ready" >&2; exit 1; }
  token=/dev/null
}

echo "## Fleet run $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo
echo "| N | server | connect (rate) | idle RSS MiB | idle CPU (cores) | seed → pushed p50 / p99 / max s (received) | seed → result answered p50 / p99 s | seed → all recorded (API) s | RSS peak / after MiB | peak CPU (cores) | errors | load |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  if [ -n "${LOAD_BASELINE:-}" ]; then
    start_server "$n-before" "$LOAD_BASELINE"
    "$load_bin" gardens --endpoint "$url" --token-file "$token" --server-pid "$pid" --gardens "$n" --label "sower (before)" --timeout "$timeout_s" --idle "$idle_s" 2>>"$work/load.err" || echo "| $n | sower (before) | run failed (see stderr) |"
    grep -c "did not answer in time\|timed out" "$work/server-$n-before/log" >"$work/timeouts-$n-before" || true
    stop
  fi
  start_server "$n"
  "$load_bin" gardens --endpoint "$url" --token-file "$token" --server-pid "$pid" --gardens "$n" --label sower --timeout "$timeout_s" --idle "$idle_s" 2>>"$work/load.err" || echo "| $n | sower | run failed (see stderr) |"
  grep -c "did not answer in time\|timed out" "$work/server-$n/log" >"$work/timeouts-$n" || true
  stop
  start_floor "$n"
  "$load_bin" gardens --endpoint "$url" --token-file "$token" --server-pid "$pid" --gardens "$n" --label floor --timeout "$timeout_s" --idle "$idle_s" 2>>"$work/load.err" || echo "| $n | floor | run failed (see stderr) |"
  stop
done
if [ $intake = 1 ]; then
  echo
  echo "| server | seeds | concurrency | seeds/s | p50 ms | p99 ms | failed | RSS peak MiB | peak CPU (cores) | load |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  if [ -n "${LOAD_BASELINE:-}" ]; then
    start_server intake-before "$LOAD_BASELINE"
    "$load_bin" intake --endpoint "$url" --token-file "$token" --server-pid "$pid" --seeds "$seeds" --concurrency 16 --label "sower (before, SQLite)" --timeout "$timeout_s" 2>>"$work/load.err"
    stop
  fi
  start_server intake
  "$load_bin" intake --endpoint "$url" --token-file "$token" --server-pid "$pid" --seeds "$seeds" --concurrency 16 --label "sower (SQLite)" --timeout "$timeout_s" 2>>"$work/load.err"
  stop
fi
echo
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "$work"/timeouts-*; do echo "server log lines with gateway timeouts (N=${f##*/timeouts-}): $(cat "$f")"; done
echo "harness log:"; sed 's/^/    /' "$work/load.err"

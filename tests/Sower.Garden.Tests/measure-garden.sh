#!/usr/bin/env bash
# Measures sower-garden's start-to-connected time and idle RSS against a real sower-server (Release builds).
# Usage: tests/Sower.Garden.Tests/measure-garden.sh   (after: dotnet build tests/Sower.Garden.Tests -c Release)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
server_dll=$repo/src/Hosts/Server/bin/Release/net10.0/sower-server.dll
garden=$repo/src/Hosts/Garden/bin/Release/net10.0/sower-garden
work=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo 7399)
dotnet "$server_dll" --data-dir "$work/server" --urls "http://127.0.0.1:$port" --log-level Warning >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz/ready" >/dev/null && break; sleep 0.5; done
admin=$(cat "$work/server/admin-token")
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/tokens" -H "Authorization: Bearer $admin" -H 'content-type: application/json' \
  -d '{"description":"measure","roles":["garden:register"]}' | sed -E 's/.*"token":"([^"]+)".*/\1/')

run() { # label, idle seconds, env...
  local label=$1 idle=$2; shift 2
  cat >"$work/client.json" <<JSON
{"endpoint":"http://127.0.0.1:$port","access_token":"$token","state_directory":"$work/state","admin_socket":"$work/admin.sock",
 "activator_socket":"$work/act.sock","subscriptions":{"web":{"seed_type":"nixos","seed_name":"web01","schedule":"30 4 * * *"}}}
JSON
  local start up end pid rss
  start=$(date +%s%N)
  env "$@" "$garden" --config "$work/client.json" >"$work/garden.log" 2>&1 &
  pid=$!
  up=""
  for _ in $(seq 1 3000); do
    [ -z "$up" ] && grep -q "sower-garden .* started" "$work/garden.log" && up=$(date +%s%N)
    grep -q "garden session established" "$work/garden.log" && break
    sleep 0.005
  done
  end=$(date +%s%N)
  sleep "$idle"
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill -TERM $pid; wait $pid || true
  printf '| %s | %d ms | %d ms | %.1f MiB |\n' "$label" $(( (up - start) / 1000000 )) $(( (end - start) / 1000000 )) "$(echo "$rss / 1024" | bc -l)"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "| variant | start → host up | start → connected | idle RSS after 20 s |"
echo "|---|---|---|---|"
run "first start (enrolls), defaults of the project file" 20
run "restart (stored credential), defaults of the project file" 20
run "restart, DOTNET_gcConcurrent=1 DOTNET_TieredPGO=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0 (SDK defaults)" 20 DOTNET_gcConcurrent=1 DOTNET_TieredPGO=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0
run "restart, + DOTNET_EnableWriteXorExecute=0" 20 DOTNET_EnableWriteXorExecute=0
run "restart, + DOTNET_TieredCompilation=0" 20 DOTNET_TieredCompilation=0
run "restart, + DOTNET_GCHeapHardLimit=0x2000000 (32 MiB)" 20 DOTNET_GCHeapHardLimit=0x2000000
run "restart, + DOTNET_GCgen0size=0x400000 (4 MiB gen0)" 20 DOTNET_GCgen0size=0x400000

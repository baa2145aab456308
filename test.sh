#!/usr/bin/env bash
# Runs the whole Sower test suite on a fresh machine.
# As root it installs what the tests need (Debian packages); otherwise it says exactly what is missing.
set -euo pipefail
cd "$(dirname "$0")"

source scripts/install-deps.sh
ensure_packages test.sh nix-build:nix-bin /usr/lib/postgresql/15/bin/initdb:postgresql-15 \
  systemd-socket-activate:systemd git:git chromium:chromium runuser:util-linux jq:jq \
  /usr/bin/kill:procps \
  /usr/sbin/nginx:nginx-light   # kill: the module tests verify units whose ExecReload is /usr/bin/kill; nginx: Sower.Cluster.Tests
ensure_dotnet test.sh

# A throw-away PostgreSQL server for the multi-provider persistence tests (real server, never a mock).
source "$(dirname "$0")/scripts/test-postgres.sh"
start_test_postgres
trap stop_test_postgres EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_HOSTBUILDER__RELOADCONFIGONCHANGE=false
dotnet build Sower.sln -c Release -warnaserror -nologo -v q
results=$(mktemp -d)
status=0
# The side lane: assemblies with no server, garden or browser and no wall-clock assertion (pure functions, Nix
# evaluations with minute-long limits) run beside the main lane at a lower CPU priority, so they take only the CPU the
# main lane leaves idle. docs/benchmarks.md "Suite time".
side=(tests/Sower.Messages.Tests/Sower.Messages.Tests.csproj tests/Sower.Nix.Tests/Sower.Nix.Tests.csproj)
(
  lane=0
  for project in "${side[@]}"; do
    nice -n 10 dotnet test "$project" -c Release --no-build --nologo \
      --logger "console;verbosity=minimal" --logger "trx" --results-directory "$results" || lane=$?
  done
  exit $lane
) >"$results/side-lane.log" 2>&1 &
side_lane=$!
# The main lane: every other project of the solution (a filter built from it, so a new test project is never left
# out), one test assembly at a time (-m:1): the process and browser suites measure real timeouts, and on two cores
# several of them at once starve each other into false failures.
dotnet sln Sower.sln list | tail -n +3 | grep -vxF -f <(printf '%s\n' "${side[@]}") \
  | jq -R . | jq -s --arg sln "$PWD/Sower.sln" '{solution: {path: $sln, projects: .}}' >"$results/main-lane.slnf"
dotnet test "$results/main-lane.slnf" -c Release --no-build --nologo -m:1 \
  --logger "console;verbosity=minimal" --logger "trx" --results-directory "$results" || status=$?
wait "$side_lane" || status=$?
cat "$results/side-lane.log"
scripts/summarize-trx.sh "$results"
exit $status

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
# One test assembly at a time (-m:1): the process and browser suites measure real timeouts, and on two cores
# several suites at once starve each other into false failures.
dotnet test Sower.sln -c Release --no-build --nologo -m:1 \
  --logger "console;verbosity=minimal" --logger "trx" --results-directory "$results" || status=$?
scripts/summarize-trx.sh "$results"
exit $status

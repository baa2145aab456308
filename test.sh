#!/usr/bin/env bash
# Runs the whole Sower test suite on a fresh machine.
# As root it installs what the tests need (Debian packages); otherwise it says exactly what is missing.
set -euo pipefail
cd "$(dirname "$0")"

need_pkgs=()
command -v nix-build >/dev/null 2>&1 || need_pkgs+=(nix-bin)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_pkgs+=(postgresql-15)
command -v systemd-socket-activate >/dev/null 2>&1 || need_pkgs+=(systemd)
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v runuser >/dev/null 2>&1 || need_pkgs+=(util-linux)
command -v jq >/dev/null 2>&1 || need_pkgs+=(jq)
[ -x /usr/bin/kill ] || need_pkgs+=(procps)   # the module tests verify units whose ExecReload is /usr/bin/kill

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${need_pkgs[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "test.sh: missing packages: ${need_pkgs[*]}" >&2
    echo "install them with: sudo apt-get install -y ${need_pkgs[*]}  (or run this script as root)" >&2
    exit 1
  fi
fi
command -v dotnet >/dev/null 2>&1 || { echo "test.sh: the .NET 10 SDK (dotnet) is required: https://dot.net" >&2; exit 1; }

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

#!/usr/bin/env bash
# What the garden's idle memory is built from: the same runtime settings as sower-garden (workstation non-concurrent
# GC, no TieredPGO, invariant globalization), measured for an idle process that has done only
#   hello    — nothing (the .NET runtime floor),
#   akka     — started an Akka.NET actor system and asked one actor,
#   persist  — also recovered and persisted one event through Akka.Persistence.Sql on SQLite (auto-initialized),
# each as built (JIT) and published ReadyToRun. The program is written to a temporary directory outside the repository
# (no Directory.Build.props); package versions are those of Directory.Packages.props. docs/benchmarks.md, "Garden".
# Usage: tests/Sower.Garden.Tests/measure-floor.sh   Environment: RUNS (default 3), IDLE seconds (default 20).
set -euo pipefail
runs=${RUNS:-3}
idle=${IDLE:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cat >"$work/src/floor.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <NoWarn>NU1603</NoWarn>
    <ServerGarbageCollector>false</ServerGarbageCollector>
    <ConcurrentGarbageCollection>false</ConcurrentGarbageCollection>
    <TieredPGO>false</TieredPGO>
    <InvariantGlobalization>true</InvariantGlobalization>
  </PropertyGroup>
  <ItemGroup>
    <PublishReadyToRunExclude Include="LanguageExt.Core.dll" />
    <PackageReference Include="Akka" Version="1.5.74" />
    <PackageReference Include="Akka.Persistence" Version="1.5.74" />
    <PackageReference Include="Akka.Persistence.Sql" Version="1.5.73" />
    <PackageReference Include="linq2db" Version="6.5.1" />
    <PackageReference Include="Microsoft.Data.Sqlite" Version="10.0.15" />
  </ItemGroup>
</Project>
XML
cat >"$work/src/Program.cs" <<'CS'
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;

switch (args[0])
{
    case "akka": StartAkka(); break;
    case "persist": StartPersistence(args[1]); break;
}
Console.WriteLine("ready");
Thread.Sleep(Timeout.Infinite);

[MethodImpl(MethodImplOptions.NoInlining)]
static void StartAkka()
{
    var system = ActorSystem.Create("floor");
    system.ActorOf(Props.Create(() => new Echo()), "echo").Ask<string>("hi", TimeSpan.FromSeconds(30)).Wait();
}

[MethodImpl(MethodImplOptions.NoInlining)]
static void StartPersistence(string directory)
{
    var db = $"Data Source={Path.Combine(directory, "floor.db")};Pooling=false";
    var config = ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.sql"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
        akka.persistence.journal.sql { connection-string = "{{db}}", provider-name = "SQLite.MS", auto-initialize = true }
        akka.persistence.snapshot-store.sql { connection-string = "{{db}}", provider-name = "SQLite.MS", auto-initialize = true }
        """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    var system = ActorSystem.Create("floor", config);
    system.ActorOf(Props.Create(() => new Counter()), "counter").Ask<int>("add", TimeSpan.FromSeconds(30)).Wait();
}

sealed class Echo : ReceiveActor
{
    public Echo() => Receive<string>(s => Sender.Tell(s));
}

sealed class Counter : ReceivePersistentActor
{
    private int count;
    public override string PersistenceId => "counter";

    public Counter()
    {
        Recover<string>(_ => count++);
        Command<string>(s => Persist(s, _ => Sender.Tell(++count)));
    }
}
CS
dotnet build "$work/src" -c Release -o "$work/built" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet publish "$work/src" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/r2r" >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }

measure() { # binary, mode → "ready rss anon file shmem pss threads"
  rm -rf "$work/db"; mkdir -p "$work/db"
  local start end pid
  start=$(date +%s%N)
  "$1" "$2" "$work/db" >"$work/out.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do grep -q ready "$work/out.log" && break; sleep 0.005; done
  end=$(date +%s%N)
  sleep "$idle"
  local st=/proc/$pid/status
  echo "$(( (end - start) / 1000000 )) $(awk '/^VmRSS/ {print $2}' $st) $(awk '/^RssAnon/ {print $2}' $st) $(awk '/^RssFile/ {print $2}' $st) $(awk '/^RssShmem/ {print $2}' $st) $(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup) $(awk '/^Threads/ {print $2}' $st)"
  kill $pid; wait $pid 2>/dev/null || true
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $runs runs each, medians; memory after ${idle} s idle"
for r in $(seq 1 "$runs"); do
  for build in built r2r; do
    for mode in hello akka persist; do measure "$work/$build/floor" $mode >>"$work/$build-$mode"; done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| idle process | start → ready | RSS | RssAnon | RssFile | RssShmem | PSS | threads |"
echo "|---|---|---|---|---|---|---|---|"
for build in built r2r; do
  for mode in hello akka persist; do
    f=$work/$build-$mode
    col() { awk -v c="$1" '{ print $c }' "$f" | median; }
    mib() { awk -v k="$(col "$1")" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
    printf '| %s, %s | %d ms | %s | %s | %s | %s | %s | %d |\n' "$mode" "$([ $build = built ] && echo "as built (JIT)" || echo ReadyToRun)" \
      "$(col 1)" "$(mib 2)" "$(mib 3)" "$(mib 4)" "$(mib 5)" "$(mib 6)" "$(col 7)"
  done
done

# sower-garden: the daemon on every host. Published ReadyToRun, as `dotnet publish` builds it (its csproj): precompiled
# code halves start-to-connected (docs/benchmarks.md, "Garden").
{
  lib,
  buildDotnetModule,
  dotnet-sdk_10,
  dotnet-runtime_10,
}:
let
  common = import ./common.nix { inherit lib; };
in
buildDotnetModule (
  common.attrs
  // {
    pname = "sower-garden";
    projectFile = "src/Hosts/Garden/Sower.Garden.csproj";
    dotnet-sdk = dotnet-sdk_10;
    dotnet-runtime = dotnet-runtime_10;
    # The csproj turns ReadyToRun on only under `dotnet publish`; the restore before it must know too, or the
    # crossgen pack is not restored and publish fails (NETSDK1094). The pack itself comes with the SDK's packages.
    dotnetRestoreFlags = [ "-p:PublishReadyToRun=true" ];
    dotnetInstallFlags = [ "-p:PublishReadyToRun=true" ];
    executables = [ "sower-garden" ];
    meta = common.meta "Sower garden: follows seeds and deploys them to its host under a policy" "sower-garden";
  }
)

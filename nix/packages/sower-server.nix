# sower-server: ASP.NET Core + Akka.NET cluster node (Microsoft.NET.Sdk.Web, so it runs on the ASP.NET Core runtime).
{
  lib,
  buildDotnetModule,
  dotnet-sdk_10,
  dotnet-aspnetcore_10,
}:
let
  common = import ./common.nix { inherit lib; };
in
buildDotnetModule (
  common.attrs
  // {
    pname = "sower-server";
    projectFile = "src/Hosts/Server/Sower.Server.csproj";
    dotnet-sdk = dotnet-sdk_10;
    dotnet-runtime = dotnet-aspnetcore_10;
    executables = [ "sower-server" ];
    meta = common.meta "Sower server: seeds, gardens, deployments, the gateway, the API and the web console" "sower-server";
  }
)

# sower-activator: the small root helper behind the garden (no Akka, no hosting framework).
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
    pname = "sower-activator";
    projectFile = "src/Hosts/Activator/Sower.Activator.csproj";
    dotnet-sdk = dotnet-sdk_10;
    dotnet-runtime = dotnet-runtime_10;
    executables = [ "sower-activator" ];
    meta = common.meta "Sower activator: performs the privileged switch a garden asks for" "sower-activator";
  }
)

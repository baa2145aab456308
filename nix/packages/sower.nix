# sower: the command-line client, with bash, zsh and fish completions.
{
  lib,
  stdenv,
  buildDotnetModule,
  dotnet-sdk_10,
  dotnet-runtime_10,
  installShellFiles,
}:
let
  common = import ./common.nix { inherit lib; };
in
buildDotnetModule (
  common.attrs
  // {
    pname = "sower";
    projectFile = "src/Cli/Sower.Cli.csproj";
    dotnet-sdk = dotnet-sdk_10;
    dotnet-runtime = dotnet-runtime_10;
    executables = [ "sower" ];
    nativeBuildInputs = [ installShellFiles ];
    # The scripts come from the binary itself (`sower completion SHELL`), so they always match its commands. postFixup:
    # $out/bin/sower is the wrapper the fixup phase writes (it sets DOTNET_ROOT). Not when cross-compiling.
    postFixup = lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
      export HOME=$(mktemp -d)
      installShellCompletion --cmd sower \
        --bash <($out/bin/sower completion bash) \
        --zsh <($out/bin/sower completion zsh) \
        --fish <($out/bin/sower completion fish)
    '';
    meta = common.meta "Sower command-line client: seeds, gardens, deployments, tokens, policies" "sower";
  }
)

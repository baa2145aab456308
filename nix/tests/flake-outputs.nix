# Evaluates flake.nix's `outputs` without nixpkgs, for tests/Sower.Nix.Tests (FlakeOutputsTests): `nixpkgs` is a
# stand-in whose `lib` is the real nixpkgs lib and whose package set records what the flake asks of it (a fake
# buildDotnetModule returns its arguments). The result is a JSON-friendly summary of the outputs.
#   nix-instantiate --eval --strict --json nix/tests/flake-outputs.nix --arg lib 'import <nixpkgs-lib>/lib'
{ lib }:
let
  root = ../..;
  rootString = toString root;
  systems = [
    "x86_64-linux"
    "aarch64-linux"
  ];

  fakePkgs =
    system:
    let
      pkgs = {
        inherit lib;
        stdenv = {
          hostPlatform = { inherit system; };
          buildPlatform = {
            inherit system;
            canExecute = platform: platform.system == system;
          };
        };
        callPackage =
          fn: overrides:
          let
            f = if builtins.isFunction fn then fn else import fn;
          in
          f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // overrides);
        buildDotnetModule = args: {
          fakeBuilder = "buildDotnetModule";
          inherit args system;
        };
        dotnet-sdk_10 = { name = "dotnet-sdk_10"; };
        dotnet-runtime_10 = { name = "dotnet-runtime_10"; };
        dotnet-aspnetcore_10 = { name = "dotnet-aspnetcore_10"; };
        installShellFiles = { name = "installShellFiles"; };
        jq = { name = "jq"; };
        curl = { name = "curl"; };
        runtimeShell = "/bin/sh";
        runCommand = name: env: script: {
          inherit name script;
          outPath = "/nix/store/00000000000000000000000000000000-${name}";
        };
        writeText = name: text: { inherit name; };
        testers.nixosTest = args: {
          fakeBuilder = "nixosTest";
          inherit args;
        };
        nixos = _: throw "not evaluated offline: pkgs.nixos needs nixpkgs";
      };
    in
    pkgs;

  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs systems fakePkgs;
  };

  flake = import (root + "/flake.nix");
  self = flake.outputs { inherit self nixpkgs; } // {
    outPath = rootString;
  };

  relative = path: lib.removePrefix (rootString + "/") (toString path);

  package = p: {
    inherit (p.args)
      pname
      version
      projectFile
      executables
      ;
    builder = p.fakeBuilder;
    nugetDeps = relative p.args.nugetDeps;
    src = relative p.args.src.origSrc;
    sdk = p.args.dotnet-sdk.name;
    runtime = p.args.dotnet-runtime.name;
    flags = p.args.dotnetFlags or [ ];
    restoreFlags = p.args.dotnetRestoreFlags or [ ];
    installFlags = p.args.dotnetInstallFlags or [ ];
    nativeBuildInputs = map (d: d.name) (p.args.nativeBuildInputs or [ ]);
    postFixup = p.args.postFixup or "";
    inherit (p.args.meta) mainProgram platforms description;
  };

  # What a module pulls in: files by repository path, our wrapper modules by key, and the package defaults the
  # function modules set (applied to a stand-in pkgs and `options`).
  describeModule =
    options: module:
    let
      walk =
        m:
        if builtins.isPath m then
          {
            files = [ (relative m) ];
            defaults = [ ];
          }
        else if builtins.isFunction m then
          {
            files = [ ];
            defaults =
              let
                cfg =
                  (m {
                    inherit lib options;
                    pkgs = fakePkgs "aarch64-linux";
                    config = { };
                  }).config;
              in
              lib.mapAttrsToList (name: value: {
                option = "services.sower.${name}";
                values = lib.mapAttrs (_: d: {
                  inherit (d) priority;
                  pname = d.content.args.pname;
                  system = d.content.system;
                }) value;
              }) cfg.services.sower;
          }
        else
          let
            inner = map walk (m.imports or [ ]);
          in
          {
            files = lib.concatMap (i: i.files) inner;
            defaults = lib.concatMap (i: i.defaults) inner;
          };
    in
    walk module // { key = module.key or null; };

  nixosOptions = { };
  hmOptions = withActivator: {
    services.sower.garden = lib.optionalAttrs withActivator { activatorPackage = { }; };
  };
  vm = self.checks.x86_64-linux.vm;
  common = import (root + "/nix/packages/common.nix") { inherit lib; };
  keeps = path: type: common.src.filter "${rootString}/${path}" type;
in
{
  description = flake.description;
  inputs = lib.mapAttrs (_: i: i.url) flake.inputs;
  packages = lib.mapAttrs (_: lib.mapAttrs (_: package)) self.packages;
  overlay = lib.mapAttrs (_: package) (self.overlays.default (fakePkgs "x86_64-linux") { });
  nixosModules = lib.mapAttrs (_: describeModule nixosOptions) self.nixosModules;
  homeManagerModules = {
    default = describeModule (hmOptions false) self.homeManagerModules.default;
    defaultWithActivatorOption = describeModule (hmOptions true) self.homeManagerModules.default;
  };
  lib = if builtins.pathExists (root + "/nix/lib/default.nix") then builtins.attrNames self.lib else null;
  checks = lib.mapAttrs (_: builtins.attrNames) self.checks;
  vm = {
    builder = vm.fakeBuilder;
    inherit (vm.args) name testScript;
    nodes = builtins.attrNames vm.args.nodes;
  };
  source = {
    version = common.version;
    keeps = {
      project = keeps "src/Cli/Sower.Cli.csproj" "regular";
      code = keeps "src/Hosts/Garden/Program.cs" "regular";
      buildProps = keeps "Directory.Build.props" "regular";
      packagesProps = keeps "Directory.Packages.props" "regular";
      globalJson = keeps "global.json" "regular";
      lockFile = keeps "src/Hosts/Server/packages.lock.json" "regular";
      binDirectory = keeps "src/Cli/bin" "directory";
      objDirectory = keeps "src/Hosts/Server/obj" "directory";
      tests = keeps "tests" "directory";
      nix = keeps "nix" "directory";
      readme = keeps "README.md" "regular";
      flake = keeps "flake.nix" "regular";
    };
  };
}

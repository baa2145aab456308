# A Home-Manager-shaped configuration: what homeManagerConfiguration returns (config, pkgs, activationPackage),
# with the options mkSeedHomeManager reads and an activation package that has hm-version and activate.
{ lib, username, release ? "24.11" }:
let
  inherit (lib) mkOption types;
  pkgs = import ./stand-in-pkgs.nix { };
  evaluated = lib.evalModules {
    modules = [
      ({ config, ... }: {
        options.home = {
          username = mkOption { type = types.str; };
          homeDirectory = mkOption { type = types.path; };
          stateVersion = mkOption { type = types.str; };
          version.release = mkOption { type = types.str; };
          activationPackage = mkOption { type = types.package; };
        };
        config.home.activationPackage = derivation {
          name = "home-manager-generation";
          system = builtins.currentSystem;
          builder = "/bin/sh";
          args = [ "-c" "/bin/mkdir -p $out && echo ${config.home.version.release} > $out/hm-version && printf '#!/bin/sh\\necho activated\\n' > $out/activate && /bin/chmod 755 $out/activate" ];
        };
      })
      { home = { inherit username; homeDirectory = "/home/${username}"; stateVersion = "23.05"; version.release = release; }; }
    ];
  };
in
{
  inherit (evaluated) config;
  inherit pkgs;
  activationPackage = evaluated.config.home.activationPackage;
}

# Evaluates the Sower Home-Manager module with the real nixpkgs lib and Home-Manager's option types (stand-ins).
{ nixpkgsLib, packages, configuration }:
let
  lib = import (nixpkgsLib + "/lib");
  pkgs = import ./stub-pkgs.nix { inherit lib packages; };
  eval = lib.evalModules {
    specialArgs = { inherit pkgs; };
    modules = [ ./home-manager-options.nix ../modules/home-manager/garden.nix configuration ];
  };
  cfg = eval.config;
  render = import ./render-units.nix { inherit lib; };
in
{
  units = render.homeManager cfg.systemd.user.services;
  configFiles = lib.mapAttrs (_: f: toString f.source) cfg.xdg.configFile;
  settings = cfg.services.sower.garden.settings;
  checks.garden = cfg.services.sower.garden.configFile;
}

# Evaluates the Sower NixOS modules with the real nixpkgs lib, the stand-in NixOS options and pkgs, and one host
# configuration; returns what the tests assert: rendered units, users, groups, /etc files, firewall, PostgreSQL,
# each program's settings, failed assertions, and the build-time checks (nix-build -A checks.<program>).
{ nixpkgsLib, packages, configuration }:
let
  lib = import (nixpkgsLib + "/lib");
  pkgs = import ./stub-pkgs.nix { inherit lib packages; };
  eval = lib.evalModules {
    specialArgs = { inherit pkgs; };
    modules = [ ./nixos-options.nix ../modules/nixos configuration ];
  };
  cfg = eval.config;
  sower = cfg.services.sower;
  render = import ./render-units.nix { inherit lib; };
in
{
  units = render.nixos cfg.systemd;
  tmpfiles = cfg.systemd.tmpfiles.rules;
  users = cfg.users.users;
  groups = cfg.users.groups;
  etc = lib.mapAttrs (_: f: toString f.source) cfg.environment.etc;
  firewall = cfg.networking.firewall.allowedTCPPorts;
  postgresql = cfg.services.postgresql;
  seedTags = cfg.sower.seed.tags;
  enabled = lib.mapAttrs (_: s: s.enable) sower;
  settings = lib.mapAttrs (_: s: s.settings) (lib.filterAttrs (_: s: s.enable) sower);
  failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) cfg.assertions);
  checks = lib.mapAttrs (_: s: s.configFile) (lib.filterAttrs (_: s: s.enable) sower);
}

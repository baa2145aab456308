# The NixOS options the Sower modules set, declared with the types NixOS gives them (nixos/lib/systemd-unit-options.nix,
# users-groups.nix, etc.nix, firewall.nix, postgresql.nix), since nixos/modules is not available offline.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  # NixOS' unitOption: lists from several definitions are concatenated, scalars must agree.
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge = loc: defs:
      let defs' = lib.filterOverrides defs;
      in if lib.any (def: lib.isList def.value) defs'
         then lib.concatMap (def: lib.toList def.value) defs'
         else lib.mergeEqualOption loc defs';
  };
  units = lib.types.attrsOf unitOption;
  freeform = types.submodule { freeformType = types.lazyAttrsOf types.anything; };
  common = {
    enable = mkOption { type = types.bool; default = true; };
    description = mkOption { type = types.singleLineStr; default = ""; };
    wantedBy = mkOption { type = types.listOf types.str; default = [ ]; };
    requiredBy = mkOption { type = types.listOf types.str; default = [ ]; };
    wants = mkOption { type = types.listOf types.str; default = [ ]; };
    requires = mkOption { type = types.listOf types.str; default = [ ]; };
    after = mkOption { type = types.listOf types.str; default = [ ]; };
    before = mkOption { type = types.listOf types.str; default = [ ]; };
    bindsTo = mkOption { type = types.listOf types.str; default = [ ]; };
    partOf = mkOption { type = types.listOf types.str; default = [ ]; };
    unitConfig = mkOption { type = units; default = { }; };
    restartTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    reloadTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; };
  };
  service = types.submodule {
    options = common // {
      serviceConfig = mkOption { type = units; default = { }; };
      environment = mkOption { type = types.attrsOf (types.nullOr (types.oneOf [ types.str types.path types.package ])); default = { }; };
      path = mkOption { type = types.listOf (types.oneOf [ types.package types.str ]); default = [ ]; };
      restartIfChanged = mkOption { type = types.bool; default = true; };
      reloadIfChanged = mkOption { type = types.bool; default = false; };
      stopIfChanged = mkOption { type = types.bool; default = true; };
    };
  };
  socket = types.submodule {
    options = common // {
      socketConfig = mkOption { type = units; default = { }; };
      listenStreams = mkOption { type = types.listOf types.str; default = [ ]; };
    };
  };
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };
    nix.package = mkOption { type = types.package; default = pkgs.nix; };
    systemd.package = mkOption { type = types.package; default = pkgs.systemd; };
    systemd.services = mkOption { type = types.attrsOf service; default = { }; };
    systemd.sockets = mkOption { type = types.attrsOf socket; default = { }; };
    systemd.tmpfiles.rules = mkOption { type = types.listOf types.str; default = [ ]; };
    users.users = mkOption { type = types.attrsOf freeform; default = { }; };
    users.groups = mkOption { type = types.attrsOf freeform; default = { }; };
    environment.etc = mkOption {
      type = types.attrsOf (types.submodule {
        freeformType = types.lazyAttrsOf types.anything;
        options.source = mkOption { type = types.path; };
      });
      default = { };
    };
    networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
    services.postgresql = {
      enable = mkOption { type = types.bool; default = false; };
      ensureDatabases = mkOption { type = types.listOf types.str; default = [ ]; };
      ensureUsers = mkOption { type = types.listOf (types.submodule { freeformType = types.lazyAttrsOf types.anything; }); default = [ ]; };
    };
  };
}

# The Home-Manager options the Sower user garden sets, with Home-Manager's types (modules/systemd.nix: units are
# attribute sets of INI sections; modules/misc/xdg.nix: xdg.configFile is a file set under xdg.configHome).
{ lib, ... }:
let
  inherit (lib) mkOption types;
  atom = types.oneOf [ types.bool types.int types.str types.path ];
  unitType = types.attrsOf (types.attrsOf (types.either atom (types.listOf atom)));
in
{
  options = {
    xdg.configHome = mkOption { type = types.str; default = "/home/alice/.config"; };
    xdg.configFile = mkOption {
      type = types.attrsOf (types.submodule {
        freeformType = types.lazyAttrsOf types.anything;
        options.source = mkOption { type = types.path; };
      });
      default = { };
    };
    systemd.user.services = mkOption { type = types.attrsOf unitType; default = { }; };
  };
}

# `sower.seed.tags`: extra tags for this system's seed. The seed library's `mkSeedNixos` merges them over the
# tags it derives itself (`system`, `nixos_version`), so a host can say what it is where it is defined.
{ lib, ... }:
{
  options.sower.seed.tags = lib.mkOption {
    type = lib.types.attrsOf lib.types.str;
    default = { };
    example = { role = "web"; site = "fra1"; };
    description = "Extra tags for this system's seed, merged by `mkSeedNixos` (seed library).";
  };
}

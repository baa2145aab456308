# The seed library (exported by the flake as `lib`): functions that label Nix outputs as Sower seeds, so
# `sower build` can build, push and register them. A function of nixpkgs' `lib` only; anything that needs
# packages takes `pkgs` as an argument.
#
# Every seed is a derivation carrying `meta.sower.seed = { name; seed_type; tags; }`, where `tags` is an
# attribute set of strings (or lists of strings, for a key with several values).
{ lib }:
let
  seeds = import ./seeds.nix { inherit lib; };
  services = import ./services.nix { inherit lib seeds; };
in
{
  inherit (seeds)
    seedTypes
    mkSeed
    mkSeedNixos
    mkSeedHomeManager
    genNixosSeeds
    genHomeManagerSeeds
    ;
  inherit (services) mkSeedService renderUnits;
}

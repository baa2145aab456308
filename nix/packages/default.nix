# The four Sower programs, built with the given package set (the flake's packages and its overlay both use this).
{ pkgs }:
{
  sower-server = pkgs.callPackage ./sower-server.nix { };
  sower-garden = pkgs.callPackage ./sower-garden.nix { };
  sower-activator = pkgs.callPackage ./sower-activator.nix { };
  sower = pkgs.callPackage ./sower.nix { };
}

# A sowerJobs tree from the seed library, for `sower build` (which evaluates files without arguments): the
# vendored nixpkgs lib is found through SOWER_NIXPKGS_LIB, as the tests set it.
{ lib ? import ((builtins.getEnv "SOWER_NIXPKGS_LIB") + "/lib"), records ? "/tmp", salt ? (builtins.getEnv "SOWER_TEST_SALT") }:
let
  fixtures = import ./library.nix { inherit lib records salt; };
in
lib.recursiveUpdate fixtures.jobs { ${builtins.currentSystem}.service.hello = fixtures.service; }

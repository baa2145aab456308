# The settings file of a Sower program, rendered with pkgs.formats.json and validated at build time by the program's
# own `--check-config` (the loader it runs at start): a typo fails `nixos-rebuild`, not the running host.
{ pkgs }:
{ name, program, settings }:
let
  file = (pkgs.formats.json { }).generate name settings;
in
pkgs.runCommand "${name}-checked" { preferLocalBuild = true; allowSubstitutes = false; } ''
  ${program} --check-config ${file}
  cp ${file} $out
''

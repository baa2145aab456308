# A small stand-in for nixpkgs' `pkgs`, enough for the Sower modules: formats.json (the real type, a file writer),
# runCommand as a real /bin/sh derivation (so the build-time --check-config runs for real), and fake packages whose
# outPath is a directory the test prepares (`packages`/<name>/bin/…), plus host tools for the unit files.
{ lib, packages }:
let
  fake = name: path: { type = "derivation"; inherit name; outPath = path; };
in
{
  formats.json = { }: {
    type =
      let
        valueType = lib.types.nullOr (lib.types.oneOf [
          lib.types.bool lib.types.int lib.types.float lib.types.str lib.types.path
          (lib.types.attrsOf valueType) (lib.types.listOf valueType)
        ]) // { description = "JSON value"; };
      in valueType;
    generate = name: value: builtins.toFile name (builtins.toJSON value);
  };

  runCommand = name: env: script: derivation ({
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-e" "-c" script ];
    PATH = "/usr/bin:/bin";
  } // env);

  sower-server = fake "sower-server" "${packages}/sower-server";
  sower-garden = fake "sower-garden" "${packages}/sower-garden";
  sower-activator = fake "sower-activator" "${packages}/sower-activator";
  # ExecReload names coreutils' kill: the host's, so that systemd-analyze verify finds it. The others only go on PATH.
  coreutils = fake "coreutils" "/usr";
  util-linux = fake "util-linux" "${packages}/util-linux";
  nix = fake "nix" "${packages}/nix";
  systemd = fake "systemd" "${packages}/systemd";
}

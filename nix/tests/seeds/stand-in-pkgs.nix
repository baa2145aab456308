# A stand-in for the few nixpkgs functions the seed library calls (runCommand, writeShellScript), built on raw
# derivations with /bin/sh as the builder, so the tests build real seeds offline without nixpkgs.
{ system ? builtins.currentSystem }:
{
  inherit system;
  stdenv.hostPlatform.system = system;

  runCommand = name: env: buildCommand: derivation (env // {
    inherit name system;
    builder = "/bin/sh";
    args = [ "-c" "export PATH=/usr/bin:/bin\n${buildCommand}" ];
  });

  writeShellScript = name: text: derivation {
    inherit name system;
    builder = "/bin/sh";
    text = "#!/bin/sh\n${text}\n";
    args = [ "-c" "printf '%s' \"$text\" > $out && /bin/chmod 555 $out" ];
  };
}

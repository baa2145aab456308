# A NixOS-shaped system for the tests: the real module system (nixpkgs lib.evalModules) with stand-ins for
# the few NixOS options mkSeedNixos reads, and a toplevel that looks like a NixOS system to the garden and
# the activator (nixos-version, bin/switch-to-configuration recording how it was called).
{ lib, hostName, version ? "24.11.test", seedTags ? null, records ? "/tmp", withSeedTagsModule ? true, salt ? "" }:
let
  inherit (lib) mkOption types;
  seedTagsModule =
    if builtins.pathExists ../../modules/nixos/seed-tags.nix then ../../modules/nixos/seed-tags.nix
    else { options.sower.seed.tags = mkOption { type = types.attrsOf types.str; default = { }; }; };
  standIns = { config, ... }: {
    options = {
      networking.hostName = mkOption { type = types.str; default = ""; };
      nixpkgs.hostPlatform = mkOption { type = types.attrsOf types.anything; };
      system.nixos.version = mkOption { type = types.str; };
      system.build.toplevel = mkOption { type = types.package; };
    };
    config.system.build.toplevel = derivation {
      name = "nixos-system-${config.networking.hostName}-${config.system.nixos.version}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      inherit salt;
      # Records each call, and points current-system at itself for switch and test, as NixOS does.
      stc = "#!/bin/sh\nexport PATH=/usr/bin:/bin\nself=$(cd \"$(dirname \"$0\")/..\" && pwd -P)\ncase \"$1\" in switch|test) ln -sfn \"$self\" ${records}/current-system.new && mv -T ${records}/current-system.new ${records}/current-system ;; esac\necho \"$1 uid=$(id -u) path=$self\" >> ${records}/activations\n";
      args = [ "-c" "/bin/mkdir -p $out/bin && echo ${config.system.nixos.version} > $out/nixos-version && printf '%s' \"$stc\" > $out/bin/switch-to-configuration && /bin/chmod 755 $out/bin/switch-to-configuration" ];
    };
  };
in
lib.evalModules {
  modules = [
    standIns
    {
      networking.hostName = hostName;
      nixpkgs.hostPlatform.system = builtins.currentSystem;
      system.nixos.version = version;
    }
  ] ++ lib.optional withSeedTagsModule seedTagsModule
    ++ lib.optional (seedTags != null) { sower.seed.tags = seedTags; };
}

# Labelling outputs as seeds: mkSeed and the NixOS / Home-Manager wrappers, and the `sowerJobs` generators.
{ lib }:
let
  inherit (lib) isAttrs isString isList isDerivation mapAttrs mapAttrs' nameValuePair foldl' elem concatStringsSep attrNames;

  # The seed types the server knows (src/Messages/Domain/SeedType.cs).
  seedTypes = [ "nixos" "home-manager" "nix-darwin" "service" "gcroot" ];

  fail = msg: throw "sower: ${msg}";

  # A tag value is a string, or a list of strings (one key may carry several values). Bools, numbers and
  # paths become strings; anything else is refused with the key named.
  tagValue = what: key: v:
    if isString v then v
    else if builtins.isBool v then lib.boolToString v
    else if builtins.isInt v || builtins.isFloat v || builtins.isPath v then toString v
    else if isList v then map (x: if isList x then fail "tag ${key} of ${what} is a nested list" else tagValue what key x) v
    else fail "tag ${key} of ${what} must be a string or a list of strings, not a ${builtins.typeOf v}";

  normaliseTags = what: tags:
    if !isAttrs tags then fail "the tags of ${what} must be an attribute set of strings, not a ${builtins.typeOf tags}"
    else mapAttrs (k: v: if k == "" then fail "a tag of ${what} has an empty key" else tagValue what k v) tags;

  # The first defined value of a path in an attribute set, else the default (never forces what it skips).
  attrOr = path: default: set: lib.attrByPath path default set;

  mkSeed =
    { name, type, drv, tags ? { } }:
    let
      what = "seed ${builtins.toJSON name}";
    in
    if !isString name || name == "" then fail "mkSeed: name must be a non-empty string"
    else if !elem type seedTypes then fail "mkSeed: ${what} has type ${builtins.toJSON type}; expected one of ${concatStringsSep ", " seedTypes}"
    else if !isDerivation drv then fail "mkSeed: ${what}: drv must be a derivation, not a ${builtins.typeOf drv}"
    else
      drv // {
        meta = (drv.meta or { }) // {
          sower = (drv.meta.sower or { }) // {
            seed = { inherit name; seed_type = type; tags = normaliseTags what tags; };
          };
        };
      };

  # `nixos` is what nixpkgs.lib.nixosSystem returns. Tags: system, nixos_version, then the system's own
  # `sower.seed.tags` (declared by nix/modules/nixos/seed-tags.nix; {} when the module is not imported),
  # then `tags`; a later source wins for the same key.
  mkSeedNixos =
    { nixos, name ? null, tags ? { } }:
    let
      config = nixos.config or (fail "mkSeedNixos: nixos must be a NixOS system (the result of nixosSystem), it has no config");
      toplevel = config.system.build.toplevel;
      hostName = attrOr [ "networking" "hostName" ] "" config;
      seedName =
        if name != null then name
        else if hostName != "" then hostName
        else fail "mkSeedNixos: the system has no networking.hostName; pass name";
    in
    mkSeed {
      name = seedName;
      type = "nixos";
      drv = toplevel;
      tags = {
        system = attrOr [ "nixpkgs" "hostPlatform" "system" ] toplevel.system config;
        nixos_version = config.system.nixos.version;
      } // attrOr [ "sower" "seed" "tags" ] { } config // tags;
    };

  # `home` is what home-manager.lib.homeManagerConfiguration returns. Tags: system, username,
  # home_directory, release, then the configuration's `sower.seed.tags` if it has that option, then `tags`.
  mkSeedHomeManager =
    { home, name ? null, tags ? { } }:
    let
      config = home.config or (fail "mkSeedHomeManager: home must be a Home-Manager configuration, it has no config");
      drv = home.activationPackage or config.home.activationPackage;
      username = config.home.username;
    in
    mkSeed {
      name = if name != null then name else username;
      type = "home-manager";
      inherit drv;
      tags = {
        system = attrOr [ "pkgs" "stdenv" "hostPlatform" "system" ] drv.system home;
        inherit username;
        home_directory = toString config.home.homeDirectory;
        release = attrOr [ "home" "version" "release" ] config.home.stateVersion config;
      } // attrOr [ "sower" "seed" "tags" ] { } config // tags;
    };

  # Groups seeds by system: { <system> = { <kind> = { <attr> = seed; }; }; }. The system comes from the
  # configuration's pkgs (cheap: the seed itself, its toplevel and its other tags stay unevaluated until
  # `sower build` walks to them, so one broken configuration fails only its own attribute).
  bySystem = kind: configurations: seeds:
    foldl'
      (acc: attr:
        let
          seed = seeds.${attr};
          system = attrOr [ "pkgs" "stdenv" "hostPlatform" "system" ] seed.meta.sower.seed.tags.system configurations.${attr};
        in
        acc // { ${system} = (acc.${system} or { }) // { ${kind} = ((acc.${system} or { }).${kind} or { }) // { ${attr} = seed; }; }; })
      { }
      (attrNames seeds);

  # sowerJobs from a flake's nixosConfigurations: { <system>.nixos.<attr> = seed; }. The seed is named after
  # the system's host name (what a garden on that host follows by default), else after the attribute.
  genNixosSeeds = nixosConfigurations:
    bySystem "nixos" nixosConfigurations (mapAttrs
      (attr: nixos:
        let hostName = attrOr [ "config" "networking" "hostName" ] "" nixos;
        in mkSeedNixos { inherit nixos; name = if hostName != "" then hostName else attr; })
      nixosConfigurations);

  # sowerJobs from homeConfigurations: { <system>."home-manager".<attr> = seed; }, each named after its user.
  genHomeManagerSeeds = homeConfigurations:
    bySystem "home-manager" homeConfigurations (mapAttrs (_: home: mkSeedHomeManager { inherit home; }) homeConfigurations);
in
{
  inherit seedTypes normaliseTags mkSeed mkSeedNixos mkSeedHomeManager genNixosSeeds genHomeManagerSeeds;
}

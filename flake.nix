{
  description = "Sower: deployment and lifecycle management for Nix fleets (NixOS and Home-Manager)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});

      # This flake's build of a program for the system a module is evaluated for.
      packageFor = pkgs: name: self.packages.${pkgs.stdenv.hostPlatform.system}.${name};

      # A module that imports `file` and makes this flake's packages the defaults of its `package` options (each
      # file declares them with mkPackageOption, whose default is pkgs.<name>, absent from plain nixpkgs). The key
      # lets the module system import it once however many of our modules pull it in.
      withPackages =
        name: file: packages:
        {
          key = "${toString ./flake.nix}#${name}";
          _file = "${toString ./flake.nix}#${name}";
          imports = [
            file
            (
              { pkgs, lib, ... }:
              {
                config = lib.setAttrByPath [ "services" "sower" ] (
                  lib.mapAttrs (_: package: { package = lib.mkDefault (packageFor pkgs package); }) packages
                );
              }
            )
          ];
        };
    in
    {
      packages = forAllSystems (
        system: pkgs:
        let
          sower = import ./nix/packages { inherit pkgs; };
        in
        sower // { default = sower.sower; }
      );

      overlays.default = final: prev: import ./nix/packages { pkgs = final; };

      nixosModules = {
        server = withPackages "nixosModules.server" ./nix/modules/nixos/server.nix { server = "sower-server"; };
        activator = withPackages "nixosModules.activator" ./nix/modules/nixos/activator.nix {
          activator = "sower-activator";
        };
        # Enabling the garden enables the activator by default: both default to this flake's packages.
        garden = {
          key = "${toString ./flake.nix}#nixosModules.garden";
          imports = [
            self.nixosModules.activator
            (withPackages "nixosModules.garden.package" ./nix/modules/nixos/garden.nix { garden = "sower-garden"; })
          ];
        };
        default = {
          key = "${toString ./flake.nix}#nixosModules.default";
          imports = [
            ./nix/modules/nixos/default.nix
            self.nixosModules.server
            self.nixosModules.garden
            self.nixosModules.activator
          ];
        };
      };

      homeManagerModules.default = {
        key = "${toString ./flake.nix}#homeManagerModules.default";
        _file = "${toString ./flake.nix}#homeManagerModules.default";
        imports = [
          ./nix/modules/home-manager/garden.nix
          (
            {
              pkgs,
              lib,
              options,
              ...
            }:
            {
              config.services.sower.garden = {
                package = lib.mkDefault (packageFor pkgs "sower-garden");
              }
              # The user garden talks to the system's activator; where the module names that package, ours too.
              // lib.optionalAttrs (options.services.sower.garden ? activatorPackage) {
                activatorPackage = lib.mkDefault (packageFor pkgs "sower-activator");
              };
            }
          )
        ];
      };

      # The seed library (README "Seeds in Nix").
      lib = import ./nix/lib { inherit (nixpkgs) lib; };

      checks = forAllSystems (
        system: pkgs:
        {
          inherit (self.packages.${system})
            sower-server
            sower-garden
            sower-activator
            sower
            ;

          # nix/deps.json is a list of { pname, version, hash = "sha512-…" }, as buildDotnetModule's nugetDeps reads it.
          deps-json = pkgs.runCommand "sower-deps-json" { nativeBuildInputs = [ pkgs.jq ]; } ''
            jq -e 'type == "array" and length > 0 and all(.[]; (.pname | type == "string")
              and (.version | type == "string") and (.hash | startswith("sha512-")))' ${./nix/deps.json} > /dev/null
            touch $out
          '';

          # The VM's configuration, evaluated and with its settings files checked by the programs' own
          # --check-config (the modules' build-time check): needs nixpkgs, not KVM.
          vm-config = (import ./nix/tests/vm.nix { inherit self pkgs; }).config;

          # Server, activator and garden on one VM, a seed submitted and deployed. Needs KVM.
          vm = (import ./nix/tests/vm.nix { inherit self pkgs; }).test;
        }
      );
    };
}

# The NixOS VM check (flake `checks.<system>.vm`): sower-server, the activator socket and a garden on one machine,
# configured only through services.sower.*; an enrollment token is minted with the CLI, a NixOS seed is submitted and
# the garden deploys it through the activator. Needs nixpkgs and KVM (`nix build .#checks.x86_64-linux.vm`); the
# machines that develop Sower have neither, so there it is only evaluated (tests/Sower.Nix.Tests) and its module
# wiring is covered by the offline module evaluation. `config` is the same machine's configuration without a VM: its
# settings files are checked by the programs' own --check-config when it is built.
{ self, pkgs }:
let
  inherit (pkgs) lib;
  system = pkgs.stdenv.hostPlatform.system;
  endpoint = "http://127.0.0.1:7150";
  tokenFile = "/var/lib/sower-vm/enroll-token";
  records = "/var/lib/sower-vm/records";

  # A stand-in NixOS system: what the garden deploys. Its switch-to-configuration records the call and points
  # /run/current-system at itself, as a real switch does, without touching the VM's real configuration.
  seed = pkgs.runCommand "nixos-system-vm-seed-1" { } ''
    mkdir -p $out/bin
    echo 1 > $out/nixos-version
    echo k1 > $out/kernel
    cat > $out/bin/switch-to-configuration <<EOS
    #!${pkgs.runtimeShell}
    echo "\$1" >> ${records}/activations
    ln -sfn $out /run/current-system
    EOS
    chmod 755 $out/bin/switch-to-configuration
  '';

  machine =
    { ... }:
    {
      imports = [ self.nixosModules.default ];

      services.sower.server = {
        enable = true;
        settings.urls = [ endpoint ];
      };

      services.sower.garden = {
        enable = true;
        accessTokenFile = tokenFile;
        settings = {
          inherit endpoint;
          name = "machine";
          subscriptions.system = {
            seed_name = "vm-seed";
            seed_type = "nixos";
            rules = [ "branch=main" ];
            policy.live = {
              actions = [ "activate" ];
              triggers = [
                "realtime"
                "manual"
              ];
            };
          };
        };
      };
      # Started by the test once its enrollment token exists (LoadCredential= needs the file).
      systemd.services.sower-garden.wantedBy = lib.mkForce [ ];

      environment.systemPackages = [
        self.packages.${system}.sower
        pkgs.jq
        pkgs.curl
      ];
      # The seed is in the VM's store before it is submitted (no substituter is reachable from the VM).
      system.extraDependencies = [ seed ];
      systemd.tmpfiles.rules = [ "d ${records} 0755 root root -" ];
    };
in
{
  test = pkgs.testers.nixosTest {
    name = "sower-vm";
    nodes.machine = {
      imports = [ machine ];
      virtualisation.memorySize = 2048;
    };
    testScript = ''
      start_all()
      machine.wait_for_unit("sower-server.service")
      machine.wait_until_succeeds("curl -sf ${endpoint}/healthz/ready")
      machine.wait_for_unit("sower-activator.socket")

      cli = "SOWER_ENDPOINT=${endpoint} SOWER_ACCESS_TOKEN_FILE=/var/lib/sower-server/admin-token sower"
      machine.succeed(f"{cli} token create -d vm-garden --role garden:register --json | jq -r .token > ${tokenFile}")
      machine.succeed("chmod 600 ${tokenFile}")
      machine.systemctl("start sower-garden.service")
      machine.wait_for_unit("sower-garden.service")
      machine.wait_until_succeeds(f"{cli} garden show machine")

      machine.succeed(f"{cli} seed submit ${seed} --name vm-seed --type nixos --tag branch=main --no-git --wait --timeout 5m")
      machine.succeed("test \"$(readlink -f /nix/var/nix/profiles/system)\" = ${seed}")
      machine.succeed("grep -qx switch ${records}/activations")
      machine.succeed(f"{cli} deployment list | grep -q success")
    '';
  };

  config =
    let
      inherit ((pkgs.nixos machine).config) systemd environment;
    in
    pkgs.writeText "sower-vm-config.json" (
      builtins.toJSON {
        server = systemd.services.sower-server.serviceConfig.ExecStart;
        garden = systemd.services.sower-garden.serviceConfig.ExecStart;
        activator = systemd.services."sower-activator@".serviceConfig.ExecStart;
        client = "${environment.etc."sower/client.json".source}";
        activator-settings = "${environment.etc."sower/activator.json".source}";
      }
    );
}

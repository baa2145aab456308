# What the Sower.Nix.Tests evaluate and build: every function of the seed library on offline stand-ins.
{ lib, records ? "/tmp", salt ? "" }:
let
  sower = import ../../lib { inherit lib; };
  pkgs = import ./stand-in-pkgs.nix { };
  nixosSystem = args: import ./nixos-system.nix ({ inherit lib records salt; } // args);
  home = username: import ./home-configuration.nix { inherit lib username; };
  plain = derivation { name = "plain"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo hi > $out" ]; };
in
{
  inherit sower;

  plain = sower.mkSeed { name = "tools"; type = "gcroot"; drv = plain; tags = { channel = "stable"; multi = [ "a" "b" ]; n = 3; yes = true; }; };

  nixosWithTags = sower.mkSeedNixos {
    nixos = nixosSystem { hostName = "web01"; seedTags = { role = "web"; system = "overridden-by-config"; }; };
    tags = { extra = "1"; };
  };
  nixosWithoutTagsModule = sower.mkSeedNixos { nixos = nixosSystem { hostName = "db01"; withSeedTagsModule = false; }; };
  nixosNamed = sower.mkSeedNixos { nixos = nixosSystem { hostName = "web01"; }; name = "frontend"; };
  nixosNoHostName = sower.mkSeedNixos { nixos = nixosSystem { hostName = ""; }; };

  homeSeed = sower.mkSeedHomeManager { home = home "alice"; tags = { team = "ops"; }; };

  jobs = lib.recursiveUpdate
    (sower.genNixosSeeds { web01 = nixosSystem { hostName = "web01"; }; db = nixosSystem { hostName = ""; }; })
    (sower.genHomeManagerSeeds { "alice@web01" = home "alice"; });

  service = sower.mkSeedService {
    inherit pkgs;
    name = "hello";
    tags = { tier = "edge"; };
    services.hello = {
      description = "Say hello";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" "hello.socket" ];
      environment = { GREETING = "hello \"world\""; };
      script = "echo $GREETING";
      serviceConfig = { DynamicUser = true; Restart = "on-failure"; RestartSec = 5; };
    };
    services.nightly = { script = "echo nightly"; startAt = "daily"; };
    services.off = { enable = false; script = "exit 1"; };
    sockets.hello = { wantedBy = [ "sockets.target" ]; listenStreams = [ "/run/hello.sock" "127.0.0.1:9999" ]; socketConfig.SocketMode = "0660"; };
    timers.cleanup = { wantedBy = [ "timers.target" ]; timerConfig = { OnCalendar = "hourly"; Persistent = true; }; };
    services.cleanup = { serviceConfig = { Type = "oneshot"; ExecStart = "/bin/true"; }; requiredBy = [ "hello.service" ]; };
  };

  badType = sower.mkSeed { name = "x"; type = "nix"; drv = plain; };
  emptyName = sower.mkSeed { name = ""; type = "gcroot"; drv = plain; };
  notADerivation = sower.mkSeed { name = "x"; type = "gcroot"; drv = { }; };
  badTag = sower.mkSeed { name = "x"; type = "gcroot"; drv = plain; tags = { f = x: x; }; };
  unknownServiceKey = sower.mkSeedService { inherit pkgs; name = "x"; services.a = { script = "true"; wantedby = [ "x" ]; }; };
  badUnitName = sower.mkSeedService { inherit pkgs; name = "x"; services."../etc/passwd" = { script = "true"; }; };
  noUnits = sower.mkSeedService { inherit pkgs; name = "x"; };
}

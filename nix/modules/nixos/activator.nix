# services.sower.activator: the small root helper that performs the privileged switch (README "The activator").
# One process per connection (socket Accept=yes), never restarted by the switch it is performing.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.sower.activator;
  json = pkgs.formats.json { };
  checkConfig = import ./check-config.nix { inherit pkgs; };
  configFile = checkConfig {
    name = "activator.json";
    program = "${cfg.package}/bin/sower-activator";
    settings = cfg.settings;
  };
in
{
  options.services.sower.activator = {
    enable = lib.mkEnableOption "the Sower activator socket (enabled by default with services.sower.garden)";
    package = lib.mkPackageOption pkgs "sower-activator" { };

    configFile = lib.mkOption {
      type = lib.types.package;
      readOnly = true;
      default = configFile;
      defaultText = lib.literalMD "`settings` as `activator.json`, checked by `--check-config`";
      description = "The rendered settings file, validated at build time by the program's own `--check-config`.";
    };

    socketPath = lib.mkOption {
      type = lib.types.strMatching "/[^[:space:]]+";
      default = "/run/sower-activator/activator.sock";
      description = "Where the activator socket listens; the garden module points `activator_socket` here.";
    };

    socketGroup = lib.mkOption {
      type = lib.types.strMatching "[a-z_][a-z0-9_-]*";
      default = "sower-activator";
      description = "Group of the socket file (mode 0660): the first barrier. The activator's own peer check (`allowed_groups`) is the second.";
    };

    settings = lib.mkOption {
      default = { };
      description = ''
        `/etc/sower/activator.json`: the activator's own keys (README "The activator"), checked at build time by
        `sower-activator --check-config`. The garden module adds its group to `allowed_groups`.
      '';
      example = {
        extra_substituters = [ "https://cache.example.org" ];
        extra_trusted_public_keys = [ "cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ];
      };
      type = lib.types.submodule {
        freeformType = json.type;
        options.allowed_groups = lib.mkOption {
          type = lib.types.listOf lib.types.str;
          default = [ ];
          description = "Groups whose members (primary or supplementary) may use the socket.";
        };
      };
    };
  };

  config = lib.mkIf cfg.enable {
    users.groups.${cfg.socketGroup} = { };

    environment.etc."sower/activator.json".source = configFile;

    systemd.sockets.sower-activator = {
      description = "Sower activator socket";
      wantedBy = [ "sockets.target" ];
      before = [ "sower-garden.service" ];
      socketConfig = {
        ListenStream = cfg.socketPath;
        Accept = true;
        SocketMode = "0660";
        SocketUser = "root";
        SocketGroup = cfg.socketGroup;
        DirectoryMode = "0755";
        RemoveOnStop = true;
      };
    };

    # One request per instance: the connection is stdin/stdout, logs go to the journal.
    systemd.services."sower-activator@" = {
      description = "Sower activator request (%i)";
      # The switch this instance performs must never stop or restart it.
      restartIfChanged = false;
      stopIfChanged = false;
      # nix-store/nix-env; setsid/setpriv for Home-Manager activation as the target user; systemctl for switches.
      path = [ config.nix.package pkgs.util-linux config.systemd.package ];
      unitConfig.CollectMode = "inactive-or-failed";
      serviceConfig = {
        Type = "simple";
        User = "root";
        ExecStart = "${cfg.package}/bin/sower-activator --config /etc/sower/activator.json";
        StandardInput = "socket";
        StandardOutput = "socket";
        StandardError = "journal";
      };
    };

    # Magic rollback (README "What a host needs for the rollback timer"): once per boot, the deadlines of `restart`
    # deployments start now, and every deadline still armed gets its timer back.
    systemd.services.sower-activator-resume-rollbacks = {
      description = "Sower activator: resume rollback deadlines after boot";
      wantedBy = [ "multi-user.target" ];
      after = [ "local-fs.target" "nix-daemon.socket" ];
      # A switch must never run it again: it belongs to the boot, not to the configuration.
      restartIfChanged = false;
      stopIfChanged = false;
      path = [ config.nix.package pkgs.util-linux config.systemd.package ];
      serviceConfig = {
        Type = "oneshot";
        User = "root";
        ExecStart = "${cfg.package}/bin/sower-activator --config /etc/sower/activator.json --resume-rollbacks";
      };
    };
  };
}

# services.sower.garden: the system garden (README "Running a garden"). It drives the switches of this host, so a
# switch must never stop it: the unit is reloaded (SIGHUP), never restarted, and the garden restarts itself onto the
# new package once the deployment that switched has reported its result (README "Install on NixOS").
{ config, lib, pkgs, ... }:
let
  cfg = config.services.sower.garden;
  activator = config.services.sower.activator;
  server = config.services.sower.server;
  json = pkgs.formats.json { };
  checkConfig = import ./check-config.nix { inherit pkgs; };
  labels = import ../labels.nix { inherit lib; };
  user = "sower-garden";
  credentialsDirectory = "/run/credentials/sower-garden.service";
  # Points at the package the unit runs; the garden watches it to know when a switch has replaced it.
  packageLink = "/etc/sower/garden-package";
  configFile = checkConfig {
    name = "client.json";
    program = "${cfg.package}/bin/sower-garden";
    settings = cfg.settings;
  };
in
{
  options.services.sower.garden = {
    enable = lib.mkEnableOption "the Sower garden, which follows seeds and deploys them to this host";
    package = lib.mkPackageOption pkgs "sower-garden" { };

    configFile = lib.mkOption {
      type = lib.types.package;
      readOnly = true;
      default = configFile;
      defaultText = lib.literalMD "`settings` as `client.json`, checked by `--check-config`";
      description = "The rendered settings file, validated at build time by the program's own `--check-config`.";
    };

    accessTokenFile = lib.mkOption {
      # An absolute path without whitespace: it is written into the unit (LoadCredential=), one line.
      type = lib.types.nullOr (lib.types.strMatching "/[^[:space:]]+");
      default = null;
      example = "/run/secrets/sower-enroll";
      description = ''
        File holding the enrollment token (role `garden:register`), read by systemd (`LoadCredential=`) and handed to
        the garden as `SOWER_ACCESS_TOKEN_FILE`; it never enters the Nix store. Only needed until the garden has its
        own credential.
      '';
    };

    labels = labels.option "services.sower.garden.labels";

    metricsTextfile = lib.mkOption {
      # An absolute *.prom path without whitespace: it is written into a tmpfiles rule and the unit (ReadWritePaths=).
      type = lib.types.nullOr (lib.types.strMatching "/[^[:space:]]+/[^/[:space:]]+\\.prom");
      default = null;
      example = "/var/lib/prometheus-node-exporter-text-files/sower-garden.prom";
      description = ''
        The garden's metrics for node_exporter's textfile collector (`metrics_textfile`, README "Metrics"), rewritten
        atomically on every change and at least every 15 s. This module creates the file's directory (0755, owned by
        the garden's user) and lets the sandboxed unit write there. With `services.prometheus.exporters.node.enable`,
        point the collector at the same directory:
        `enabledCollectors = [ "textfile" ]; extraFlags = [ "--collector.textfile.directory=<that directory>" ];`.
      '';
    };

    settings = lib.mkOption {
      default = { };
      description = ''
        `/etc/sower/client.json` (README "Running a garden"): `endpoint`, `subscriptions` with their `rules` and
        `policy` as Nix attribute sets, `timeouts`, … Checked at build time by `sower-garden --check-config`.
      '';
      example = lib.literalExpression ''
        {
          endpoint = "https://sower.example.org";
          subscriptions.web01 = {
            seed_type = "nixos";
            rules = [ "git_branch=production" ];
            policy.nightly = { actions = [ "stage" "activate" ]; triggers = [ "scheduled" ];
                               window = { time_start = "04:00"; time_end = "06:00"; }; };
          };
        }
      '';
      type = lib.types.submodule {
        freeformType = json.type;
        options = {
          endpoint = lib.mkOption {
            type = lib.types.str;
            example = "https://sower.example.org";
            description = "The server's base URL.";
          };
          subscriptions = lib.mkOption {
            type = lib.types.attrsOf json.type;
            default = { };
            description = "Subscriptions keyed by name: `seed_type`, `seed_name`, `rules`, `schedule`, `timezone`, `policy`.";
          };
          inhibit_file = lib.mkOption {
            type = lib.types.str;
            default = "/run/sower/inhibit";
            description = "While this file exists the garden stages but defers activations and restarts (README \"Inhibiting deployments\").";
          };
          inhibit_command = lib.mkOption {
            type = lib.types.nullOr (lib.types.listOf lib.types.str);
            default = null;
            example = [ "/run/current-system/sw/bin/pg_isready" "-q" ];
            description = "Program (absolute path) and arguments, run without a shell as the garden's user; non-zero exit = inhibited.";
          };
        };
      };
    };
  };

  config = lib.mkIf cfg.enable {
    services.sower.activator.enable = lib.mkDefault true;
    services.sower.activator.settings.allowed_groups = lib.mkIf activator.enable [ user ];

    services.sower.garden.settings = {
      labels = lib.mkIf (cfg.labels != { }) cfg.labels;
      state_directory = "/var/lib/sower-garden";
      admin_socket = "/run/sower-garden/admin.sock";
      activator_socket = lib.mkIf activator.enable activator.socketPath;
      metrics_textfile = lib.mkIf (cfg.metricsTextfile != null) cfg.metricsTextfile;
    };

    # node_exporter (another user) reads the directory; only the garden writes its file there.
    systemd.tmpfiles.rules = lib.optional (cfg.metricsTextfile != null) "d ${dirOf cfg.metricsTextfile} 0755 ${user} ${user} - -";

    users.users.${user} = {
      isSystemUser = true;
      group = user;
      extraGroups = lib.optional activator.enable activator.socketGroup;
      description = "Sower garden";
    };
    users.groups.${user} = { };

    environment.etc."sower/client.json".source = configFile;
    environment.etc."sower/garden-package".source = cfg.package;

    systemd.services.sower-garden = {
      description = "Sower garden";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ]
        ++ lib.optional activator.enable "sower-activator.socket"
        ++ lib.optional server.enable "sower-server.service";
      # Never stopped mid-deployment by the switch it drives: a changed unit or client.json is a reload (SIGHUP),
      # deferred by the garden until no deployment runs; if the package changed, the garden then exits cleanly and
      # Restart=always starts the new one.
      restartIfChanged = false;
      stopIfChanged = false;
      reloadIfChanged = true;
      restartTriggers = [ configFile ];
      environment = lib.optionalAttrs (cfg.accessTokenFile != null) {
        SOWER_ACCESS_TOKEN_FILE = "${credentialsDirectory}/access_token";
      };
      serviceConfig = {
        Type = "notify";
        WatchdogSec = "30s";
        ExecStart = "${cfg.package}/bin/sower-garden --config /etc/sower/client.json --exit-when-replaced ${packageLink}";
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        Restart = "always";
        RestartSec = "5s";
        RestartSteps = 7;
        RestartMaxDelaySec = "120s";
        # 78 (EX_CONFIG): an invalid configuration is not retried in a loop.
        RestartPreventExitStatus = 78;
        TimeoutStopSec = "120s";
        User = user;
        Group = user;
        SupplementaryGroups = lib.optional activator.enable activator.socketGroup;
        UMask = "0077";
        StateDirectory = "sower-garden";
        StateDirectoryMode = "0700";
        # 0750: the admin socket (0660) is for root, the garden and members of its group (`sower garden …`).
        RuntimeDirectory = "sower-garden";
        RuntimeDirectoryMode = "0750";
        LoadCredential = lib.optional (cfg.accessTokenFile != null) "access_token:${cfg.accessTokenFile}";
        MemoryAccounting = true;
        MemoryHigh = "250M";
      } // import ./hardening.nix // {
        # Read-only, not hidden: the garden reports the Home-Manager profiles under users' homes.
        ProtectHome = "read-only";
        ReadWritePaths = lib.optional (cfg.metricsTextfile != null) (dirOf cfg.metricsTextfile);
      };
    };
  };
}

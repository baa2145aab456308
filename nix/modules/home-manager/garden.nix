# Home-Manager: services.sower.garden, a user garden (README "Home-Manager"). A Home-Manager switch never stops it
# (X-SwitchMethod=reload rather than keep-old, so that it still learns of a new configuration); like the system garden
# it reloads on SIGHUP and restarts itself onto a new package once its deployment has reported.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.sower.garden;
  json = pkgs.formats.json { };
  labels = import ../labels.nix { inherit lib; };
  configFile = "%E/sower/client.json";
  packageLink = "${config.xdg.configHome}/sower/garden-package";
  checkedConfig =
    let file = json.generate "client.json" cfg.settings;
    in pkgs.runCommand "client.json-checked" { preferLocalBuild = true; allowSubstitutes = false; } ''
      ${cfg.package}/bin/sower-garden --check-config ${file}
      cp ${file} $out
    '';
in
{
  options.services.sower.garden = {
    enable = lib.mkEnableOption "a Sower user garden that deploys this user's Home-Manager generations";
    package = lib.mkPackageOption pkgs "sower-garden" { };
    activatorPackage = lib.mkPackageOption pkgs "sower-activator" { };

    configFile = lib.mkOption {
      type = lib.types.package;
      readOnly = true;
      default = checkedConfig;
      defaultText = lib.literalMD "`settings` as `client.json`, checked by `--check-config`";
      description = "The rendered settings file, validated at build time by the program's own `--check-config`.";
    };

    accessTokenFile = lib.mkOption {
      # An absolute path without whitespace: it is written into the unit (Environment=), one line.
      type = lib.types.nullOr (lib.types.strMatching "/[^[:space:]]+");
      default = null;
      example = "/run/user/1000/secrets/sower-enroll";
      description = "File holding the enrollment token, passed as `SOWER_ACCESS_TOKEN_FILE` (never in the store).";
    };

    labels = labels.option "services.sower.garden.labels";

    metricsTextfile = lib.mkOption {
      type = lib.types.nullOr (lib.types.strMatching "/[^[:space:]]+/[^/[:space:]]+\\.prom");
      default = null;
      example = "/var/lib/prometheus-node-exporter-text-files/sower-garden-alice.prom";
      description = ''
        The user garden's metrics for node_exporter's textfile collector (`metrics_textfile`, README "Metrics"). The
        directory must exist and be writable by this user (node_exporter reads every `*.prom` in it); give each user
        garden its own file name.
      '';
    };

    settings = lib.mkOption {
      type = json.type;
      default = { };
      example = {
        endpoint = "https://sower.example.org";
        subscriptions.me = { seed_type = "home-manager"; rules = [ "username=alice" ]; };
      };
      description = ''
        `~/.config/sower/client.json` (README "Running a garden"), checked at build
        time by `sower-garden --check-config`.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    # The user's own Home-Manager seeds run the activator in pipe mode, without privileges.
    services.sower.garden.settings.activator_command = lib.mkDefault "${cfg.activatorPackage}/bin/sower-activator";
    services.sower.garden.settings.labels = lib.mkIf (cfg.labels != { }) cfg.labels;
    services.sower.garden.settings.metrics_textfile = lib.mkIf (cfg.metricsTextfile != null) cfg.metricsTextfile;

    xdg.configFile."sower/client.json".source = checkedConfig;
    xdg.configFile."sower/garden-package".source = cfg.package;

    systemd.user.services.sower-garden = {
      Unit = {
        Description = "Sower user garden";
        After = [ "network-online.target" ];
        # Home-Manager's unit switcher (sd-switch) never stops or restarts it (it may be running that switch): a
        # changed unit or client.json is a reload (SIGHUP), which the garden defers until no deployment runs.
        X-SwitchMethod = "reload";
        X-Reload-Triggers = [ "${checkedConfig}" ];
      };
      Service = {
        Type = "notify";
        WatchdogSec = "30s";
        ExecStart = "${cfg.package}/bin/sower-garden --config ${configFile} --exit-when-replaced ${packageLink}";
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        Environment = [
          "SOWER_CONFIG_FILE=${configFile}"
          "PATH=${lib.makeBinPath [ cfg.activatorPackage pkgs.nix ]}:/run/current-system/sw/bin"
        ] ++ lib.optional (cfg.accessTokenFile != null) "SOWER_ACCESS_TOKEN_FILE=${cfg.accessTokenFile}";
        Restart = "always";
        RestartSec = "5s";
        RestartSteps = 7;
        RestartMaxDelaySec = "120s";
        RestartPreventExitStatus = 78;
        UMask = "0077";
        RuntimeDirectory = "sower-garden";
        RuntimeDirectoryMode = "0700";
      };
      Install.WantedBy = [ "default.target" ];
    };
  };
}

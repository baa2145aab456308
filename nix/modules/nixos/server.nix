# services.sower.server: the Sower server (README "Running the server"). Secrets reach it only as files: `*_file`
# settings pointing at credentials systemd loads (`credentials`, `database.connectionStringFile`), never the store.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.sower.server;
  json = pkgs.formats.json { };
  checkConfig = import ./check-config.nix { inherit pkgs; };
  user = "sower-server";
  stateDirectory = "/var/lib/sower-server";
  credentialsDirectory = "/run/credentials/sower-server.service";
  configFile = checkConfig {
    name = "server.json";
    program = "${cfg.package}/bin/sower-server";
    settings = cfg.settings;
  };

  # The TCP ports of `urls` (and the cluster port) that openFirewall opens.
  urlPort = url:
    let m = builtins.match "(https?)://[^/]*:([0-9]+).*" url;
    in if m != null then lib.toInt (builtins.elemAt m 1)
       else if lib.hasPrefix "https://" url then 443 else 80;
  urls = let u = cfg.settings.urls; in if builtins.isList u then u else lib.splitString ";" u;
  clusterPort = cfg.settings.cluster.port or 0;
  ports = lib.unique (map urlPort urls ++ lib.optional (clusterPort != 0) clusterPort);

  connectionString = cfg.settings.database.connection_string or "";
in
{
  options.services.sower.server = {
    enable = lib.mkEnableOption "the Sower server";
    package = lib.mkPackageOption pkgs "sower-server" { };

    configFile = lib.mkOption {
      type = lib.types.package;
      readOnly = true;
      default = configFile;
      defaultText = lib.literalMD "`settings` as `server.json`, checked by `--check-config`";
      description = "The rendered settings file, validated at build time by the program's own `--check-config`.";
    };

    openFirewall = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Open the TCP ports of `settings.urls` (and `settings.cluster.port`) in the firewall.";
    };

    credentials = lib.mkOption {
      # Absolute paths without whitespace (each is one LoadCredential= line); names are checked by an assertion.
      type = lib.types.attrsOf (lib.types.strMatching "/[^[:space:]]+");
      default = { };
      example = { oidc-secret = "/run/secrets/sower-oidc"; };
      description = ''
        Secret files loaded by systemd (`LoadCredential=NAME:PATH`), readable by the server only as
        `/run/credentials/sower-server.service/NAME`; point a `*_file` setting there, e.g.
        `settings.auth.oidc_client_secret_file = "/run/credentials/sower-server.service/oidc-secret"`.
      '';
    };

    database = {
      createLocally = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = ''
          Create a local PostgreSQL database `sower-server` owned by the user `sower-server` and connect to it over
          the Unix socket with peer authentication (no password anywhere).
        '';
      };
      connectionStringFile = lib.mkOption {
        type = lib.types.nullOr (lib.types.strMatching "/[^[:space:]]+");
        default = null;
        example = "/run/secrets/sower-db";
        description = ''
          File holding an Npgsql connection string (with its password) for a remote PostgreSQL: loaded by systemd and
          passed as `database.connection_string_file`. Sets `database.provider` to `postgresql`.
        '';
      };
    };

    settings = lib.mkOption {
      default = { };
      description = ''
        The server's JSON settings (README "Running the server": `urls`, `public_url`, `database`, `cluster`, `auth`,
        …), checked at build time by `sower-server --check-config`. Unknown keys are errors.
      '';
      example = { public_url = "https://sower.example.org"; urls = [ "http://0.0.0.0:7150" ]; };
      type = lib.types.submodule {
        freeformType = json.type;
        options = {
          data_dir = lib.mkOption {
            type = lib.types.str;
            default = stateDirectory;
            description = "SQLite file, `admin-token` and key material.";
          };
          urls = lib.mkOption {
            type = lib.types.either (lib.types.listOf lib.types.str) lib.types.str;
            default = [ "http://127.0.0.1:7150" ];
            description = "HTTP bind addresses.";
          };
        };
      };
    };
  };

  config = lib.mkIf cfg.enable (lib.mkMerge [
    {
      assertions = [
        {
          assertion = !(lib.hasInfix "password" (lib.toLower connectionString));
          message = "services.sower.server.settings.database.connection_string must not hold a password (it would land in the Nix store): use database.connectionStringFile or database.createLocally.";
        }
        {
          assertion = lib.all (name: builtins.match "[A-Za-z0-9_.-]+" name != null) (lib.attrNames cfg.credentials);
          message = "services.sower.server.credentials: names may hold only letters, digits, '_', '.' and '-'.";
        }
        {
          assertion = !(cfg.database.createLocally && cfg.database.connectionStringFile != null);
          message = "services.sower.server: set database.createLocally or database.connectionStringFile, not both.";
        }
      ];

      users.users.${user} = {
        isSystemUser = true;
        group = user;
        home = stateDirectory;
        description = "Sower server";
      };
      users.groups.${user} = { };

      networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall ports;

      systemd.services.sower-server = {
        description = "Sower server";
        wantedBy = [ "multi-user.target" ];
        wants = [ "network-online.target" ];
        after = [ "network-online.target" ] ++ lib.optional cfg.database.createLocally "postgresql.service";
        requires = lib.optional cfg.database.createLocally "postgresql.service";
        serviceConfig = {
          Type = "notify";
          WatchdogSec = "30s";
          ExecStart = "${cfg.package}/bin/sower-server --config ${configFile}";
          Restart = "on-failure";
          RestartSec = "5s";
          # 78 (EX_CONFIG): an invalid configuration is not retried in a loop.
          RestartPreventExitStatus = 78;
          User = user;
          Group = user;
          UMask = "0077";
          StateDirectory = "sower-server";
          StateDirectoryMode = "0700";
          WorkingDirectory = stateDirectory;
          LoadCredential = lib.mapAttrsToList (name: path: "${name}:${path}") cfg.credentials;
        } // import ./hardening.nix;
      };
    }

    (lib.mkIf (cfg.database.connectionStringFile != null) {
      services.sower.server.credentials.database = cfg.database.connectionStringFile;
      services.sower.server.settings.database = {
        provider = "postgresql";
        connection_string_file = "${credentialsDirectory}/database";
      };
    })

    (lib.mkIf cfg.database.createLocally {
      services.postgresql = {
        enable = true;
        ensureDatabases = [ user ];
        ensureUsers = [ { name = user; ensureDBOwnership = true; } ];
      };
      # Peer authentication over the Unix socket: the server's system user is the database user.
      services.sower.server.settings.database = {
        provider = "postgresql";
        connection_string = "Host=/run/postgresql;Database=${user};Username=${user}";
      };
    })
  ]);
}

using System.Text.Json.Nodes;

namespace Sower.Nix.Tests;

/// <summary>The NixOS modules (nix/modules/nixos), evaluated with the real nixpkgs lib against stand-in NixOS options:
/// the units, users, groups, /etc files and settings they produce, checked by systemd-analyze and the real programs.</summary>
public sealed class NixosModuleTests : IDisposable
{
    private const string Entry = "eval-nixos.nix";
    private readonly ModuleEvaluation _nix = new();

    public void Dispose() => _nix.Dispose();

    /// <summary>The fleet's server host: server with a local PostgreSQL, its own garden, two subscriptions and a policy.</summary>
    public const string ServerHost = """
        { ... }: {
          services.sower.server = {
            enable = true;
            openFirewall = true;
            database.createLocally = true;
            settings = { urls = [ "http://0.0.0.0:7150" ]; public_url = "https://sower.example.org"; cluster.port = 4053; };
          };
          services.sower.garden = {
            enable = true;
            accessTokenFile = "/run/secrets/sower-enroll";
            settings = {
              endpoint = "http://127.0.0.1:7150";
              subscriptions.system = {
                seed_type = "nixos";
                rules = [ "git_branch=production" { key = "system"; op = "eq"; value = "x86_64-linux"; } ];
                schedule = "30 4 * * *";
                timezone = "Europe/Berlin";
                policy.nightly = {
                  actions = [ "stage" "activate" ];
                  triggers = [ "scheduled" "poll_on_connect" ];
                  window = { time_start = "04:00"; time_end = "06:00"; };
                };
                policy.by-hand = { actions = [ "activate" ]; triggers = [ "manual" ]; };
              };
              subscriptions.monitoring = { seed_type = "service"; seed_name = "monitoring"; };
            };
          };
          sower.seed.tags = { role = "server"; site = "fra1"; };
        }
        """;

    private static string Unit(JsonObject result, string name) => (string)result["units"]![name]!;

    [Fact]
    public void The_server_runs_as_its_own_user_in_a_hardened_notify_unit_on_a_local_postgresql_with_peer_authentication()
    {
        var result = _nix.Evaluate(Entry, ServerHost);
        var unit = Unit(result, "sower-server.service");
        foreach (var line in new[]
                 {
                     "Type=notify", "WatchdogSec=30s", "StateDirectory=sower-server", "StateDirectoryMode=0700", "User=sower-server",
                     "ProtectSystem=strict", "NoNewPrivileges=true", "PrivateTmp=true", "ProtectHome=true", "CapabilityBoundingSet=",
                     "RestartPreventExitStatus=78", "Requires=postgresql.service", "WantedBy=multi-user.target",
                 })
        {
            Assert.Contains(line + "\n", unit);
        }
        Assert.Matches(@"ExecStart=\S+/sower-server/bin/sower-server --config /nix/store/\S+-server\.json-checked\n", unit);
        Assert.True((bool)result["users"]!["sower-server"]!["isSystemUser"]!);
        Assert.NotNull(result["groups"]!["sower-server"]);

        var postgresql = result["postgresql"]!;
        Assert.True((bool)postgresql["enable"]!);
        Assert.Equal("sower-server", (string)postgresql["ensureDatabases"]![0]!);
        Assert.Equal("sower-server", (string)postgresql["ensureUsers"]![0]!["name"]!);
        Assert.True((bool)postgresql["ensureUsers"]![0]!["ensureDBOwnership"]!);
        var database = result["settings"]!["server"]!["database"]!;
        Assert.Equal("postgresql", (string)database["provider"]!);
        Assert.Equal("Host=/run/postgresql;Database=sower-server;Username=sower-server", (string)database["connection_string"]!);

        Assert.Equal([4053, 7150], result["firewall"]!.AsArray().Select(p => (int)p!).Order());
        Assert.Equal("/var/lib/sower-server", (string)result["settings"]!["server"]!["data_dir"]!);
        Assert.Empty(result["failedAssertions"]!.AsArray());
    }

    [Fact]
    public void A_remote_database_password_reaches_the_server_only_as_a_systemd_credential()
    {
        var result = _nix.Evaluate(Entry, """
            { ... }: { services.sower.server = { enable = true; database.connectionStringFile = "/run/secrets/sower-db"; }; }
            """);
        var unit = Unit(result, "sower-server.service");
        Assert.Contains("LoadCredential=database:/run/secrets/sower-db\n", unit);
        var database = result["settings"]!["server"]!["database"]!;
        Assert.Equal("/run/credentials/sower-server.service/database", (string)database["connection_string_file"]!);
        Assert.Null(database["connection_string"]);
        Assert.Empty(result["firewall"]!.AsArray()); // openFirewall is off by default

        var inline = _nix.Evaluate(Entry, """
            { ... }: { services.sower.server = { enable = true;
              settings.database = { provider = "postgresql"; connection_string = "Host=db;Username=sower;Password=hunter2"; }; }; }
            """);
        Assert.Contains(inline["failedAssertions"]!.AsArray(), m => ((string)m!).Contains("must not hold a password", StringComparison.Ordinal));
    }

    [Fact]
    public void The_activator_listens_on_an_accept_socket_for_its_group_and_its_template_is_never_restarted_by_a_switch()
    {
        var result = _nix.Evaluate(Entry, ServerHost);
        var socket = Unit(result, "sower-activator.socket");
        foreach (var line in new[]
                 {
                     "ListenStream=/run/sower-activator/activator.sock", "Accept=true", "SocketMode=0660", "SocketUser=root",
                     "SocketGroup=sower-activator", "RemoveOnStop=true", "WantedBy=sockets.target", "Before=sower-garden.service",
                 })
        {
            Assert.Contains(line + "\n", socket);
        }
        var template = Unit(result, "sower-activator@.service");
        foreach (var line in new[]
                 {
                     "StandardInput=socket", "StandardOutput=socket", "StandardError=journal", "User=root",
                     "X-RestartIfChanged=false", "X-StopIfChanged=false", "ExecStart=" + _nix.Packages + "/sower-activator/bin/sower-activator --config /etc/sower/activator.json",
                 })
        {
            Assert.Contains(line + "\n", template);
        }
        Assert.Contains($"{_nix.Packages}/nix/bin:", template);
        Assert.Contains($"{_nix.Packages}/util-linux/bin:", template);
        Assert.Matches(@"/nix/store/\S+-activator\.json-checked", (string)result["etc"]!["sower/activator.json"]!);
        Assert.NotNull(result["groups"]!["sower-activator"]);
        Assert.Equal(["sower-garden"], result["settings"]!["activator"]!["allowed_groups"]!.AsArray().Select(g => (string)g!));
    }

    [Fact]
    public void Every_boot_resumes_the_activators_rollback_deadlines_once_and_a_switch_never_reruns_it()
    {
        var result = _nix.Evaluate(Entry, ServerHost);
        var unit = Unit(result, "sower-activator-resume-rollbacks.service");
        foreach (var line in new[]
                 {
                     "Type=oneshot", "User=root", "WantedBy=multi-user.target", "X-RestartIfChanged=false", "X-StopIfChanged=false",
                     "ExecStart=" + _nix.Packages + "/sower-activator/bin/sower-activator --config /etc/sower/activator.json --resume-rollbacks",
                 })
        {
            Assert.Contains(line + "\n", unit);
        }
    }

    [Fact]
    public void Enabling_the_garden_enables_the_activator_and_puts_the_garden_in_its_group_unless_the_operator_says_no()
    {
        var garden = _nix.Evaluate(Entry, """{ ... }: { services.sower.garden = { enable = true; settings.endpoint = "https://sower.example.org"; }; }""");
        Assert.True((bool)garden["enabled"]!["activator"]!);
        Assert.False((bool)garden["enabled"]!["server"]!);
        Assert.Equal(["sower-activator"], garden["users"]!["sower-garden"]!["extraGroups"]!.AsArray().Select(g => (string)g!));
        Assert.Contains("SupplementaryGroups=sower-activator\n", Unit(garden, "sower-garden.service"));
        Assert.Equal("/run/sower-activator/activator.sock", (string)garden["settings"]!["garden"]!["activator_socket"]!);
        Assert.DoesNotContain("sower-server.service", Unit(garden, "sower-garden.service"));

        var without = _nix.Evaluate(Entry, """
            { ... }: { services.sower.garden = { enable = true; settings.endpoint = "https://sower.example.org"; };
                       services.sower.activator.enable = false; }
            """);
        Assert.False((bool)without["enabled"]!["activator"]!);
        Assert.Null(without["units"]!["sower-activator.socket"]);
        Assert.Null(without["settings"]!["garden"]!["activator_socket"]);
        Assert.DoesNotContain("SupplementaryGroups", Unit(without, "sower-garden.service"));
    }

    [Fact]
    public void The_garden_is_reloaded_never_restarted_by_a_switch_and_restarts_itself_onto_a_replaced_package()
    {
        var result = _nix.Evaluate(Entry, ServerHost);
        var unit = Unit(result, "sower-garden.service");
        foreach (var line in new[]
                 {
                     "Type=notify", "WatchdogSec=30s", "Restart=always", "RestartSec=5s", "RestartSteps=7", "RestartMaxDelaySec=120s",
                     "X-ReloadIfChanged=true", "X-StopIfChanged=false", "ExecReload=/usr/bin/kill -HUP $MAINPID",
                     "StateDirectory=sower-garden", "RuntimeDirectory=sower-garden", "RuntimeDirectoryMode=0750",
                     "User=sower-garden", "Group=sower-garden", "UMask=0077", "ProtectSystem=strict", "NoNewPrivileges=true",
                     "LoadCredential=access_token:/run/secrets/sower-enroll",
                     "Environment=\"SOWER_ACCESS_TOKEN_FILE=/run/credentials/sower-garden.service/access_token\"",
                     $"ExecStart={_nix.Packages}/sower-garden/bin/sower-garden --config /etc/sower/client.json --exit-when-replaced /etc/sower/garden-package",
                     "After=network-online.target sower-activator.socket sower-server.service",
                 })
        {
            Assert.Contains(line + "\n", unit);
        }
        Assert.DoesNotContain("X-RestartIfChanged", unit); // reloadIfChanged wins: NixOS writes only X-ReloadIfChanged
        // A changed client.json changes the unit, which a switch turns into a reload.
        Assert.Contains($"X-Restart-Triggers={(string)result["etc"]!["sower/client.json"]!}\n", unit);
        Assert.Equal($"{_nix.Packages}/sower-garden", (string)result["etc"]!["sower/garden-package"]!);
        // The token never enters client.json (nor the store).
        Assert.Null(result["settings"]!["garden"]!["access_token_file"]);
        Assert.Null(result["settings"]!["garden"]!["access_token"]);
    }

    [Fact]
    public void Subscriptions_and_policies_written_as_nix_attribute_sets_become_client_json()
    {
        var garden = _nix.Evaluate(Entry, ServerHost)["settings"]!["garden"]!;
        Assert.Equal("http://127.0.0.1:7150", (string)garden["endpoint"]!);
        Assert.Equal("/run/sower-garden/admin.sock", (string)garden["admin_socket"]!);
        Assert.Equal("/var/lib/sower-garden", (string)garden["state_directory"]!);
        Assert.Equal("/run/sower/inhibit", (string)garden["inhibit_file"]!);
        var system = garden["subscriptions"]!["system"]!;
        Assert.Equal("nixos", (string)system["seed_type"]!);
        Assert.Equal("git_branch=production", (string)system["rules"]![0]!);
        Assert.Equal("eq", (string)system["rules"]![1]!["op"]!);
        Assert.Equal(["stage", "activate"], system["policy"]!["nightly"]!["actions"]!.AsArray().Select(a => (string)a!));
        Assert.Equal("04:00", (string)system["policy"]!["nightly"]!["window"]!["time_start"]!);
        Assert.Equal("monitoring", (string)garden["subscriptions"]!["monitoring"]!["seed_name"]!);
    }

    [Theory]
    [InlineData("services.sower.garden = { enable = true; settings.endpoint = \"https://x\"; accessTokenFile = \"/run/t\\nExecStartPre=/bin/evil\"; };", "services.sower.garden.accessTokenFile")]
    [InlineData("services.sower.garden = { enable = true; settings.endpoint = \"https://x\"; accessTokenFile = \"relative/token\"; };", "services.sower.garden.accessTokenFile")]
    [InlineData("services.sower.server = { enable = true; database.connectionStringFile = \"/run/db\\n[Service]\"; };", "services.sower.server.database.connectionStringFile")]
    [InlineData("services.sower.server = { enable = true; credentials.oidc = \"/run/a b\"; };", "services.sower.server.credentials.oidc")]
    [InlineData("services.sower.activator = { enable = true; socketGroup = \"wheel\\nUser=root\"; };", "services.sower.activator.socketGroup")]
    public void A_path_or_name_that_would_smuggle_a_line_into_a_unit_is_refused_at_evaluation(string definition, string option)
    {
        var (code, error) = _nix.EvaluateFailing(Entry, $"{{ ... }}: {{ {definition} }}");
        Assert.NotEqual(0, code);
        Assert.Contains(option, error);
    }

    [Fact]
    public void A_credential_name_systemd_would_split_is_refused()
    {
        var result = _nix.Evaluate(Entry, """{ ... }: { services.sower.server = { enable = true; credentials."db:x" = "/run/secrets/db"; }; }""");
        Assert.Contains(result["failedAssertions"]!.AsArray(), m => ((string)m!).Contains("credentials: names may hold only", StringComparison.Ordinal));
    }

    [Fact]
    public void Labels_are_rendered_into_client_json_and_none_leaves_the_key_out()
    {
        var labelled = _nix.Evaluate(Entry, ModuleEvaluation.With(ServerHost, """services.sower.garden.labels = { role = "web"; "sower.example.org/zone" = "eu-1"; canary = ""; };"""));
        Assert.Equal("""{"canary":"","role":"web","sower.example.org/zone":"eu-1"}""", labelled["settings"]!["garden"]!["labels"]!.ToJsonString());
        Assert.Null(_nix.Evaluate(Entry, ServerHost)["settings"]!["garden"]!["labels"]);
    }

    [Theory]
    [InlineData("labels.\"bad key\" = \"web\";", "label key \"bad key\": a key must be 1-63 letters")]
    [InlineData("labels.role = \"-web\";", "services.sower.garden.labels: label \"role\": value \"-web\"")]
    [InlineData("labels.\"Example.org/role\" = \"web\";", "the prefix must be a DNS subdomain")]
    [InlineData("labels.\"a/b/c\" = \"web\";", "at most one '/'")]
    [InlineData("labels.role = \"a-name-that-is-far-too-long-for-a-label-value-of-sixty-three-chars\";", "value \"a-name-that-is-far-too-long")]
    [InlineData("labels = builtins.listToAttrs (map (i: { name = \"k${toString i}\"; value = \"v\"; }) (builtins.genList (x: x) 33));", "at most 32 labels")]
    public void A_label_the_garden_would_refuse_fails_the_evaluation_with_the_key_and_the_reason(string definition, string expected)
    {
        var (code, error) = _nix.EvaluateFailing(Entry, $"{{ ... }}: {{ services.sower.garden = {{ enable = true; settings.endpoint = \"http://127.0.0.1:7150\"; {definition} }}; }}");
        Assert.NotEqual(0, code);
        Assert.Contains("services.sower.garden.labels", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void A_metrics_textfile_gets_its_directory_write_access_from_the_sandboxed_unit_and_the_gardens_setting()
    {
        var host = ModuleEvaluation.With(ServerHost, """services.sower.garden.metricsTextfile = "/var/lib/node-exporter-textfile/sower-garden.prom";""");
        var result = _nix.Evaluate(Entry, host);
        Assert.Equal("/var/lib/node-exporter-textfile/sower-garden.prom", (string)result["settings"]!["garden"]!["metrics_textfile"]!);
        Assert.Equal(["d /var/lib/node-exporter-textfile 0755 sower-garden sower-garden - -"], result["tmpfiles"]!.AsArray().Select(r => (string)r!));
        var unit = Unit(result, "sower-garden.service");
        Assert.Contains("ReadWritePaths=/var/lib/node-exporter-textfile\n", unit);
        Assert.Contains("ProtectSystem=strict\n", unit);
        Assert.Empty(_nix.Verify(result["units"]!.AsObject()));
        var (built, output) = _nix.Build(Entry, host, "checks.garden"); // --check-config accepts it without the host's directory
        Assert.True(built == 0, output);

        var without = _nix.Evaluate(Entry, ServerHost);
        Assert.Null(without["settings"]!["garden"]!["metrics_textfile"]);
        Assert.Empty(without["tmpfiles"]!.AsArray());
        Assert.DoesNotContain("ReadWritePaths", Unit(without, "sower-garden.service"));
    }

    [Theory]
    [InlineData("\"relative/sower-garden.prom\"")]
    [InlineData("\"/var/lib/textfile/sower-garden.txt\"")]
    [InlineData("\"/var/lib/textfile\\nExecStartPre=/bin/evil/x.prom\"")]
    [InlineData("\"/sower-garden.prom\"")]
    public void A_metrics_textfile_that_is_relative_not_prom_or_smuggles_a_line_is_refused_at_evaluation(string value)
    {
        var (code, error) = _nix.EvaluateFailing(Entry, $"{{ ... }}: {{ services.sower.garden = {{ enable = true; settings.endpoint = \"https://x\"; metricsTextfile = {value}; }}; }}");
        Assert.NotEqual(0, code);
        Assert.Contains("services.sower.garden.metricsTextfile", error);
    }

    [Fact]
    public void Seed_tags_are_an_attribute_set_of_strings()
    {
        Assert.Equal("""{"role":"server","site":"fra1"}""", _nix.Evaluate(Entry, ServerHost)["seedTags"]!.ToJsonString());
        var (code, error) = _nix.EvaluateFailing(Entry, "{ ... }: { sower.seed.tags.generation = 42; }");
        Assert.NotEqual(0, code);
        Assert.Contains("sower.seed.tags.generation", error);
    }

    [Fact]
    public void Every_rendered_unit_passes_systemd_analyze_verify_without_a_single_warning()
    {
        var units = _nix.Evaluate(Entry, ServerHost)["units"]!.AsObject();
        Assert.Equal(["sower-activator-resume-rollbacks.service", "sower-activator.socket", "sower-activator@.service", "sower-garden.service", "sower-server.service"], units.Select(u => u.Key).Order());
        Assert.Empty(_nix.Verify(units));
    }

    [Theory]
    [InlineData("server", "sower-server")]
    [InlineData("garden", "sower-garden")]
    [InlineData("activator", "sower-activator")]
    public void Every_rendered_settings_file_passes_the_real_programs_check_config_at_build_time(string service, string program)
    {
        var result = _nix.Evaluate(Entry, ServerHost);
        var file = Path.Combine(_nix.Root, service + ".json");
        File.WriteAllText(file, result["settings"]![service]!.ToJsonString());
        var (code, stdout, stderr) = ModuleEvaluation.Run(ModuleEvaluation.ProgramNamed(program), ["--check-config", file]);
        Assert.True(code == 0, stderr);
        Assert.Contains("valid", stdout);

        var (built, output) = _nix.Build(Entry, ServerHost, "checks." + service);
        Assert.True(built == 0, output);
    }

    [Theory]
    [InlineData("server", "services.sower.server.settings.stale_after_secs = 60;", "stale_after_secs: unknown setting")]
    [InlineData("server", "services.sower.server.settings.urls = [ \"localhost:7150\" ];", "urls[0]")]
    [InlineData("garden", "services.sower.garden.settings.acess_token_file = \"/run/secrets/t\";", "acess_token_file: unknown setting")]
    [InlineData("garden", "services.sower.garden.settings.subscriptions.system.policy.nightly.triggers = [ \"nightly\" ];", "unknown trigger")]
    [InlineData("activator", "services.sower.activator.settings.alowed_groups = [ \"wheel\" ];", "unknown key: alowed_groups")]
    public void A_typo_in_settings_fails_the_build_time_check_with_the_programs_own_message(string service, string typo, string message)
    {
        var host = ModuleEvaluation.With(ServerHost, typo);
        var (code, output) = _nix.Build(Entry, host, "checks." + service);
        Assert.NotEqual(0, code);
        Assert.Contains(message, output);
        Assert.Contains("Configuration validation failed", output);
    }
}

using System.Text.Json.Nodes;

namespace Sower.Nix.Tests;

/// <summary>The Home-Manager module (nix/modules/home-manager/garden.nix): a user garden that a Home-Manager switch never kills.</summary>
public sealed class HomeManagerModuleTests : IDisposable
{
    private const string Entry = "eval-home-manager.nix";
    private readonly ModuleEvaluation _nix = new();

    public void Dispose() => _nix.Dispose();

    private const string Alice = """
        { ... }: {
          services.sower.garden = {
            enable = true;
            accessTokenFile = "/run/user/1000/sower-enroll";
            labels = { role = "laptop"; "example.org/owner" = "alice"; };
            settings = {
              endpoint = "https://sower.example.org";
              subscriptions.home = {
                seed_type = "home-manager";
                seed_name = "alice";
                rules = [ "username=alice" ];
                policy.anytime = { actions = [ "stage" "activate" ]; triggers = [ "realtime" "manual" ]; };
              };
            };
          };
        }
        """;

    [Fact]
    public void The_user_garden_is_a_notify_unit_that_a_home_manager_switch_reloads_and_never_stops()
    {
        var result = _nix.Evaluate(Entry, Alice);
        var unit = (string)result["units"]!["sower-garden.service"]!;
        foreach (var line in new[]
                 {
                     "[Unit]", "X-SwitchMethod=reload", "[Service]", "Type=notify", "WatchdogSec=30s", "Restart=always",
                     "RestartSteps=7", "ExecReload=/usr/bin/kill -HUP $MAINPID", "RuntimeDirectory=sower-garden", "RuntimeDirectoryMode=0700",
                     "Environment=SOWER_CONFIG_FILE=%E/sower/client.json", "Environment=SOWER_ACCESS_TOKEN_FILE=/run/user/1000/sower-enroll",
                     $"ExecStart={_nix.Packages}/sower-garden/bin/sower-garden --config %E/sower/client.json --exit-when-replaced /home/alice/.config/sower/garden-package",
                     "[Install]", "WantedBy=default.target",
                 })
        {
            Assert.Contains(line + "\n", unit);
        }
        Assert.Contains($"Environment=PATH={_nix.Packages}/sower-activator/bin:{_nix.Packages}/nix/bin:", unit);
        Assert.Matches(@"X-Reload-Triggers=/nix/store/\S+-client\.json-checked", unit);

        var files = result["configFiles"]!;
        Assert.Matches(@"/nix/store/\S+-client\.json-checked", (string)files["sower/client.json"]!);
        Assert.Equal($"{_nix.Packages}/sower-garden", (string)files["sower/garden-package"]!);
    }

    [Fact]
    public void The_user_garden_runs_its_own_home_manager_activations_through_the_activator_package_in_pipe_mode()
    {
        var settings = _nix.Evaluate(Entry, Alice)["settings"]!;
        Assert.Equal($"{_nix.Packages}/sower-activator/bin/sower-activator", (string)settings["activator_command"]!);
        Assert.Equal("username=alice", (string)settings["subscriptions"]!["home"]!["rules"]![0]!);
        Assert.Null(settings["access_token_file"]);
    }

    [Fact]
    public void A_metrics_textfile_is_rendered_into_the_user_gardens_config_and_none_leaves_the_key_out()
    {
        var settings = _nix.Evaluate(Entry, ModuleEvaluation.With(Alice, """services.sower.garden.metricsTextfile = "/var/lib/textfile/sower-garden-alice.prom";"""))["settings"]!;
        Assert.Equal("/var/lib/textfile/sower-garden-alice.prom", (string)settings["metrics_textfile"]!);
        Assert.Null(_nix.Evaluate(Entry, Alice)["settings"]!["metrics_textfile"]);
        var (code, error) = _nix.EvaluateFailing(Entry, "{ ... }: { services.sower.garden = { enable = true; metricsTextfile = \"metrics.prom\"; }; }");
        Assert.NotEqual(0, code);
        Assert.Contains("services.sower.garden.metricsTextfile", error);
    }

    [Fact]
    public void Labels_are_rendered_into_the_user_gardens_config_and_a_label_the_garden_would_refuse_fails_the_evaluation()
    {
        var settings = _nix.Evaluate(Entry, Alice)["settings"]!;
        Assert.Equal("""{"example.org/owner":"alice","role":"laptop"}""", settings["labels"]!.ToJsonString());

        var (code, error) = _nix.EvaluateFailing(Entry, "{ ... }: { services.sower.garden = { enable = true; labels.\"-bad\" = \"x\"; }; }");
        Assert.NotEqual(0, code);
        Assert.Contains("services.sower.garden.labels: label key \"-bad\"", error);
    }

    [Fact]
    public void The_user_unit_passes_systemd_analyze_verify_and_its_client_json_the_real_gardens_check_config()
    {
        var result = _nix.Evaluate(Entry, Alice);
        Assert.Empty(_nix.Verify(result["units"]!.AsObject()));

        var file = Path.Combine(_nix.Root, "client.json");
        File.WriteAllText(file, result["settings"]!.ToJsonString());
        var (code, _, stderr) = ModuleEvaluation.Run(ModuleEvaluation.ProgramNamed("sower-garden"), ["--check-config", file]);
        Assert.True(code == 0, stderr);
        var (built, output) = _nix.Build(Entry, Alice, "checks.garden");
        Assert.True(built == 0, output);
    }

    [Fact]
    public void A_typo_in_the_user_gardens_settings_fails_the_home_manager_build()
    {
        var typo = ModuleEvaluation.With(Alice, "services.sower.garden.settings.subscriptions.home.seed_typ = \"nixos\";");
        var (code, output) = _nix.Build(Entry, typo, "checks.garden");
        Assert.NotEqual(0, code);
        Assert.Contains("subscriptions.home.seed_typ: unknown field", output);
    }
}

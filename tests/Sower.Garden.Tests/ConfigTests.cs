using Sower.Messages.GardenDaemon;

namespace Sower.Garden.Tests;

public sealed class ConfigTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ConfigEnvironment Env(Dictionary<string, string>? vars = null, bool root = false, string user = "alice", string home = "/home/alice") =>
        new(k => vars is not null && vars.TryGetValue(k, out var v) ? v : null, root, home, user, "web01", "Europe/Berlin");

    private const string Minimal = """{"endpoint":"https://sower.example.org","access_token":"t"}""";

    [Fact]
    public void Locator_prefers_explicit_then_env_then_root_system_file()
    {
        Assert.Equal("/x.json", ClientConfigLocator.Locate("/x.json", _ => "/env.json", false, "/home/a", _ => true));
        Assert.Equal("/env.json", ClientConfigLocator.Locate(null, k => k == "SOWER_CONFIG_FILE" ? "/env.json" : null, true, "/root", _ => true));
        Assert.Equal("/etc/sower/client.json", ClientConfigLocator.Locate(null, _ => null, true, "/root", _ => true));
    }

    [Fact]
    public void Locator_uses_the_user_file_only_if_it_exists()
    {
        Assert.Equal("/home/a/.config/sower/client.json", ClientConfigLocator.Locate(null, _ => null, false, "/home/a", p => p == "/home/a/.config/sower/client.json"));
        Assert.Equal("/xdg/sower/client.json", ClientConfigLocator.Locate(null, k => k == "XDG_CONFIG_HOME" ? "/xdg" : null, false, "/home/a", p => p.StartsWith("/xdg")));
        Assert.Equal("/etc/sower/client.json", ClientConfigLocator.Locate(null, _ => null, false, "/home/a", _ => false));
    }

    [Fact]
    public void A_missing_file_means_defaults_and_missing_endpoint_is_reported()
    {
        var result = GardenConfigLoader.Load(_dir.File("absent.json"), Env(), hasStoredCredential: false);
        Assert.False(result.Ok);
        Assert.Contains(result.Problems, p => p.Path == "endpoint");
        Assert.Contains(result.Problems, p => p.Path == "access_token");
    }

    [Fact]
    public void Unknown_keys_are_typos_reported_with_their_path_while_the_clis_caches_and_any_known_x_file_pass()
    {
        var result = GardenConfigLoader.Load(_dir.Write("typo.json", """
            {"endpoint":"https://sower.example.org","acess_token":"t","name_file":"/nonexistent-but-fine-here",
             "caches":[{"url":"file:///c"}],"profiles":{"sytem_profile":"/p"}}
            """), Env(), hasStoredCredential: true, readSecretFiles: false);
        Assert.False(result.Ok);
        Assert.Equal(["acess_token", "profiles.sytem_profile"], result.Problems.Select(p => p.Path).Order());
        Assert.Contains("unknown setting", result.Problems[0].Message);
    }

    [Fact]
    public void Without_reading_secret_files_a_value_they_would_supply_is_not_required_but_their_paths_are_still_expanded()
    {
        var unread = GardenConfigLoader.Load(_dir.Write("files.json", """{"endpoint_file":"/run/credentials/x/endpoint","access_token_file":"/absent"}"""),
            Env(), hasStoredCredential: true, readSecretFiles: false);
        Assert.True(unread.Ok, string.Join("; ", unread.Problems));

        var missingVariable = GardenConfigLoader.Load(_dir.Write("var.json", """{"endpoint":"https://x","access_token_file":"$CREDENTIALS_DIRECTORY/t"}"""),
            Env(), hasStoredCredential: true, readSecretFiles: false);
        Assert.Contains(missingVariable.Problems, p => p.Message.Contains("missing environment variable CREDENTIALS_DIRECTORY", StringComparison.Ordinal));

        var atStart = GardenConfigLoader.Load(_dir.File("files.json"), Env(), hasStoredCredential: true);
        Assert.Contains(atStart.Problems, p => p.Path == "endpoint_file");
    }

    [Fact]
    public void Defaults_for_a_user_garden()
    {
        var result = GardenConfigLoader.Load(_dir.Write("c.json", Minimal), Env(new() { ["XDG_RUNTIME_DIR"] = "/run/user/1000" }), false);
        Assert.True(result.Ok, string.Join("; ", result.Problems));
        var c = result.Config!;
        Assert.Equal("alice@web01", c.Name);
        Assert.Equal("/home/alice/.local/state/sower-garden", c.StateDirectory);
        Assert.Equal("/run/user/1000/sower-garden/admin.sock", c.AdminSocket);
        Assert.Equal("/run/sower-activator/activator.sock", c.ActivatorSocket);
        Assert.Equal("https://sower.example.org/api/v1", c.ApiBase);
    }

    [Fact]
    public void Defaults_for_root_and_the_service_user()
    {
        var root = GardenConfigLoader.Load(_dir.Write("c.json", Minimal), Env(root: true, user: "root"), false).Config!;
        Assert.Equal("/var/lib/sower-garden", root.StateDirectory);
        Assert.Equal("/run/sower-garden/admin.sock", root.AdminSocket);
        var service = GardenConfigLoader.Load(_dir.File("c.json"), Env(new() { ["STATE_DIRECTORY"] = "/var/lib/sower-garden" }, user: "sower-garden"), false).Config!;
        Assert.Equal("web01", service.Name);
        Assert.Equal("/var/lib/sower-garden", service.StateDirectory);
        var xdg = GardenConfigLoader.Load(_dir.File("c.json"), Env(new() { ["XDG_STATE_HOME"] = "/st" }), false).Config!;
        Assert.Equal("/st/sower-garden", xdg.StateDirectory);
    }

    [Fact]
    public void Environment_overrides_the_file()
    {
        var path = _dir.Write("c.json", """{"endpoint":"https://file.example","access_token":"file"}""");
        var c = GardenConfigLoader.Load(path, Env(new() { ["SOWER_ENDPOINT"] = "https://env.example", ["SOWER_ACCESS_TOKEN"] = "env" }), false).Config!;
        Assert.Equal("https://env.example", c.Endpoint);
        Assert.Equal("env", c.AccessToken);
    }

    [Fact]
    public void File_keys_are_read_trimmed_unless_the_plain_key_is_set()
    {
        var secret = _dir.Write("secret", "  from-file \n");
        var path = _dir.Write("c.json", $$"""{"endpoint":"https://e.example","access_token_file":"{{secret}}"}""");
        Assert.Equal("from-file", GardenConfigLoader.Load(path, Env(), false).Config!.AccessToken);

        var both = _dir.Write("both.json", """{"endpoint":"https://e.example","access_token":"plain","access_token_file":"/does/not/exist"}""");
        var r = GardenConfigLoader.Load(both, Env(), false);
        Assert.True(r.Ok, string.Join("; ", r.Problems));
        Assert.Equal("plain", r.Config!.AccessToken);

        var envFile = GardenConfigLoader.Load(_dir.Write("e.json", """{"endpoint":"https://e.example"}"""), Env(new() { ["SOWER_ACCESS_TOKEN_FILE"] = secret }), false);
        Assert.Equal("from-file", envFile.Config!.AccessToken);
    }

    [Fact]
    public void Paths_expand_home_and_variables_and_a_missing_variable_is_an_error()
    {
        var path = _dir.Write("c.json", """{"endpoint":"https://e.example","access_token":"t","state_directory":"~/state","admin_socket":"${RUN}/a.sock","activator_socket":"$NOPE/x.sock"}""");
        var r = GardenConfigLoader.Load(path, Env(new() { ["RUN"] = "/run/x" }), false);
        Assert.Contains(r.Problems, p => p.Message == "Invalid path for activator_socket: missing environment variable NOPE");
        var ok = GardenConfigLoader.Load(_dir.Write("d.json", """{"endpoint":"https://e.example","access_token":"t","state_directory":"~/state","admin_socket":"${RUN}/a.sock"}"""),
            Env(new() { ["RUN"] = "/run/x" }), false).Config!;
        Assert.Equal("/home/alice/state", ok.StateDirectory);
        Assert.Equal("/run/x/a.sock", ok.AdminSocket);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_path()
    {
        var path = _dir.Write("c.json", """
            {"endpoint":"ftp://x","access_token":"t","timeouts":{"realise":-1},
             "subscriptions":{"web":{"seed_type":"nixos","schedule":"nonsense","policy":{"p":{"actions":["fly"]}}},
                              "home":{"seed_type":"home-manager"}}}
            """);
        var r = GardenConfigLoader.Load(path, Env(), false);
        Assert.False(r.Ok);
        var paths = r.Problems.Select(p => p.Path).ToList();
        Assert.Contains("endpoint", paths);
        Assert.Contains("timeouts.realise", paths);
        Assert.Contains("subscriptions.web.schedule", paths);
        Assert.Contains(paths, p => p.StartsWith("subscriptions.web.policy.p.actions", StringComparison.Ordinal));
        Assert.Contains("subscriptions.home.seed_name", paths);
        Assert.StartsWith("Configuration validation failed: ", GardenConfigLoader.FormatFailure(r.Problems));
    }

    [Fact]
    public void A_stored_credential_replaces_the_enrollment_token()
    {
        var path = _dir.Write("c.json", """{"endpoint":"https://e.example"}""");
        Assert.True(GardenConfigLoader.Load(path, Env(), hasStoredCredential: true).Ok);
    }

    [Fact]
    public void Host_zone_fills_every_subscription_without_one_and_never_overwrites()
    {
        var path = _dir.Write("c.json", """
            {"endpoint":"https://e.example","access_token":"t","subscriptions":{
              "a":{"seed_type":"nixos","schedule":"30 4 * * *"},
              "b":{"seed_type":"gcroot","seed_name":"pin","timezone":"America/New_York"}}}
            """);
        var subs = GardenConfigLoader.Load(path, Env(), false).Config!.Subscriptions;
        Assert.Equal("Europe/Berlin", subs.Single(s => s.Name == "a").Timezone);
        Assert.Equal("alice@web01", subs.Single(s => s.Name == "a").SeedName); // the garden's default name
        Assert.Equal("America/New_York", subs.Single(s => s.Name == "b").Timezone);
    }

    [Fact]
    public void Host_zone_detection_reads_etc_timezone_then_the_localtime_link_then_falls_back()
    {
        var tz = _dir.Write("timezone", "Asia/Tokyo\n");
        Assert.Equal("Asia/Tokyo", HostTimeZoneDetector.Detect(tz, _dir.File("none")));
        var link = _dir.File("localtime");
        File.CreateSymbolicLink(link, "/usr/share/zoneinfo/Europe/Paris");
        Assert.Equal("Europe/Paris", HostTimeZoneDetector.Detect(_dir.File("missing"), link));
        Assert.Equal("Etc/UTC", HostTimeZoneDetector.Detect(_dir.Write("bad", "Not/AZone"), _dir.File("missing")));
    }

    [Fact]
    public void Tunables_are_read_from_their_documented_keys()
    {
        var path = _dir.Write("c.json", """
            {"endpoint":"https://e.example","access_token":"t","parallelism":2,"activator_command":"/opt/act",
             "timeouts":{"activator_connect":1,"realise":2,"activation":3,"server_reply":4,"admin_receive":5,"drain":6,"reconcile":7,"journal_recovery":8},
             "profiles":{"system_profile":"~/sys","current_system":"/c","booted_system":"/b","per_user_profiles":"/pu","home":"/h"}}
            """);
        var c = GardenConfigLoader.Load(path, Env(), false).Config!;
        Assert.Equal(2, c.Parallelism);
        Assert.Equal("/opt/act", c.ActivatorCommand);
        Assert.Equal(new GardenTimeouts(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(6),
            TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(8)), c.Timeouts);
        var defaults = GardenConfigLoader.Load(_dir.Write("d.json", """{"endpoint":"https://e.example","access_token":"t"}"""), Env(), false).Config!.Timeouts;
        Assert.Equal(TimeSpan.FromSeconds(120), defaults.EffectiveReconcile);
        Assert.Equal(TimeSpan.FromSeconds(120), defaults.EffectiveJournalRecovery);
        Assert.Equal(new ProfileRoots("/home/alice/sys", "/c", "/b", "/pu", "/h"), c.Profiles);
    }
}

using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>Fleet, deployment, token and cluster commands as a real process against a real server with a connected garden.</summary>
[Collection(ServerCollection.Name)]
public sealed class FleetCommandTests(TestServer server)
{
    private async Task<TestGarden> GardenWithSeed(string name, bool manual = true)
    {
        var garden = await TestGarden.Enroll(server, name);
        await garden.Sync((name, Sow.NixosSubscription(name, Sow.Policy(("by-hand", ["activate"], manual ? ["manual"] : ["realtime"])))));
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        await Sow.Eventually(() => JsonNode.Parse(http.GetStringAsync($"{server.Url}/api/v1/gardens/{garden.Sid}").Result)!["subscriptions"]!.AsArray().Count == 1,
            "subscriptions synced");
        var submit = Sow.Run(server, "seed", "submit", Sow.NixosArtifact(name), "-n", name, "-t", "nixos", "--no-git");
        Assert.True(submit.ExitCode == 0, submit.Stderr);
        return garden;
    }

    [Fact]
    public async Task Deploy_wait_follows_the_deployment_to_success_and_show_lists_its_seeds_log_and_events()
    {
        await using var garden = await GardenWithSeed("fleet01");
        var deploy = Sow.Run(server, "deploy", "fleet01", "fleet01", "--wait", "--timeout", "60s", "--json");
        Assert.True(deploy.ExitCode == 0, deploy.Stdout + deploy.Stderr);
        var lines = SowerProcess.JsonLines(deploy);
        var sid = (string)lines[0]["deployment_sid"]!;
        Assert.Contains(lines, l => (string?)l["kind"] == "deployment" && (string?)l["state"] == "completed" && (string?)l["result"] == "success");

        var show = SowerProcess.JsonLine(Sow.Run(server, "deployment", "show", sid, "--json"));
        Assert.Equal("completed", (string?)show["state"]);
        Assert.Equal("manual", (string?)show["trigger"]);
        var seed = Assert.Single(show["seeds"]!.AsArray());
        Assert.Contains("activated", (string?)seed!["log"]);
        Assert.Contains(show["events"]!.AsArray(), e => (string?)e!["type"] == "created");

        var follow = Sow.Run(server, "deployment", "follow", sid);
        Assert.Equal(0, follow.ExitCode);
        Assert.Contains($"deployment {sid} on fleet01: completed (success)", follow.Stdout);
        Assert.Contains("fleet01 | activated", follow.Stdout);

        var list = SowerProcess.JsonLine(Sow.Run(server, "deployment", "list", "--garden", "fleet01", "--json"));
        Assert.Contains(list["deployments"]!.AsArray(), d => (string?)d!["sid"] == sid);

        var gardens = SowerProcess.JsonLine(Sow.Run(server, "garden", "list", "--json"));
        var mine = Assert.Single(gardens["gardens"]!.AsArray(), g => (string?)g!["name"] == "fleet01")!;
        Assert.True((bool)mine["online"]!);
        Assert.Equal("test-1.0", (string?)mine["version"]);
        Assert.False((bool)mine["stale"]!);
        Assert.False((bool)mine["failing"]!);

        // On the managed host: the latest seed is already realised, so download has nothing to fetch; upgrade without
        // --yes only says what it would do.
        var download = SowerProcess.JsonLine(Sow.Run(server, "seed", "download", "-n", "fleet01", "-t", "nixos", "--json"));
        Assert.True((bool)download["realised"]!);
        Assert.Equal("fleet01", (string?)download["seed"]!["name"]);
        var upgrade = Sow.Run(server, "seed", "upgrade", "-n", "fleet01", "-t", "nixos");
        Assert.Equal(0, upgrade.ExitCode);
        Assert.StartsWith("would activate nixos seed seed_", upgrade.Stdout);
        Assert.Contains("with mode switch; run again with --yes", upgrade.Stdout);

        var text = Sow.Run(server, "garden", "show", "fleet01");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("online:", text.Stdout);
        Assert.Contains("nixos/fleet01", text.Stdout);
    }

    [Fact]
    public async Task Cluster_commands_show_members_shards_actors_and_the_connected_garden_with_its_node()
    {
        await using var garden = await GardenWithSeed("cluster01");
        var show = SowerProcess.JsonLine(Sow.Run(server, "cluster", "show", "--json"));
        var member = Assert.Single(show["members"]!.AsArray())!;
        Assert.Equal("up", (string?)member["status"]);
        Assert.True((bool)member["reachable"]!);
        Assert.True((bool)member["leader"]!);
        Assert.Equal((string?)show["self_address"], (string?)show["leader"]);

        var shards = SowerProcess.JsonLine(Sow.Run(server, "cluster", "shards", "--json"));
        var types = shards["types"]!.AsArray().Select(t => (string?)t!["type_name"]).ToList();
        Assert.Contains("garden", types);
        Assert.Contains("seed", types);
        var gardenShards = shards["types"]!.AsArray().Single(t => (string?)t!["type_name"] == "garden")!;
        Assert.True((int)gardenShards["entities"]! >= 1);

        var actors = SowerProcess.JsonLine(Sow.Run(server, "cluster", "actors", "/user", "--depth", "1", "--json"));
        var names = actors["root"]!["children"]!.AsArray().Select(c => (string?)c!["name"]).ToList();
        Assert.Contains("cluster-inspection", names);
        Assert.Contains(names, n => n!.StartsWith("garden-proxy-", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n!.StartsWith("sower-identify-", StringComparison.Ordinal)); // the walk's own helpers

        var system = SowerProcess.JsonLine(Sow.Run(server, "cluster", "actors", "/system", "-d", "2", "--json"));
        var sharding = Assert.Single(system["root"]!["children"]!.AsArray(), c => (string?)c!["name"] == "sharding")!;
        Assert.Contains(sharding["children"]!.AsArray(), c => (string?)c!["name"] == "garden");
        var shardsText = Sow.Run(server, "cluster", "shards");
        Assert.Matches(@"(?m)^garden\s+akka\.tcp://sower@\S+\s+\d+\s+\d+$", shardsText.Stdout);

        var gardens = SowerProcess.JsonLine(Sow.Run(server, "cluster", "gardens", "--json"));
        var connected = Assert.Single(gardens["gardens"]!.AsArray(), g => (string?)g!["garden_name"] == "cluster01")!;
        Assert.Equal(garden.Sid, (string?)connected["garden_sid"]);
        Assert.Equal((string?)show["self_address"], (string?)connected["node"]);

        var text = Sow.Run(server, "cluster", "show");
        Assert.Contains("leader: akka.tcp://sower@", text.Stdout);
        var missing = Sow.Run(server, "cluster", "actors", "/user/nothing-here");
        Assert.Equal(3, missing.ExitCode);
        Sow.SingleError(missing);
    }

    [Fact]
    public void Token_create_prints_the_token_once_with_a_warning_and_list_and_revoke_manage_it()
    {
        var created = Sow.Run(server, "token", "create", "--description", "ci reader", "--role", "seed:read", "--role", "garden:read");
        Assert.Equal(0, created.ExitCode);
        var token = created.Stdout.Trim();
        Assert.StartsWith("sower_", token);
        Assert.Contains("warning: Store this token now: it cannot be shown again.", created.Stderr);
        var sid = token.Split('_')[1];

        var list = SowerProcess.JsonLine(Sow.Run(server, "token", "list", "--json"));
        var entry = Assert.Single(list["tokens"]!.AsArray(), t => (string?)t!["sid"] == sid)!;
        Assert.Equal(["seed:read", "garden:read"], entry["roles"]!.AsArray().Select(r => (string?)r));
        Assert.DoesNotContain(token, list.ToJsonString());

        // The new token reads seeds…
        Assert.Equal(0, SowerProcess.Run(Sow.Env(server, token), null, "seed", "list").ExitCode);
        // …but lacks seed:write for submitting.
        var denied = SowerProcess.Run(Sow.Env(server, token), null, "seed", "submit", Sow.NixosArtifact("norole"), "-n", "norole", "-t", "nixos", "--no-git");
        Assert.Equal(1, denied.ExitCode);
        Assert.Equal("error: the access token lacks the seed:write role needed for this", Sow.SingleError(denied));

        // Cluster inspection is for admin tokens only.
        var cluster = SowerProcess.Run(Sow.Env(server, token), null, "cluster", "show");
        Assert.Equal(1, cluster.ExitCode);
        Assert.Equal("error: the access token lacks the admin role needed for this", Sow.SingleError(cluster));

        Assert.Equal(0, Sow.Run(server, "token", "revoke", sid).ExitCode);
        var revoked = SowerProcess.Run(Sow.Env(server, token), null, "seed", "list");
        Assert.Equal(1, revoked.ExitCode);
        Assert.Contains("rejected the access token", Sow.SingleError(revoked));
    }

    [Fact]
    public void Each_error_path_is_one_sentence_with_its_exit_code()
    {
        var unreachable = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ENDPOINT"] = "http://127.0.0.1:1", ["SOWER_ACCESS_TOKEN"] = "x" }, null, "seed", "list");
        Assert.Equal(5, unreachable.ExitCode);
        Assert.Equal("error: cannot reach the server at http://127.0.0.1:1: connection refused", Sow.SingleError(unreachable));

        var unreachableHub = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ENDPOINT"] = "http://127.0.0.1:1", ["SOWER_ACCESS_TOKEN"] = "x" }, null,
            "seed", "submit", Sow.NixosArtifact("unreach"), "-n", "unreach", "-t", "nixos", "--no-git");
        Assert.Equal(5, unreachableHub.ExitCode);
        Assert.StartsWith("error: cannot reach the server at http://127.0.0.1:1", Sow.SingleError(unreachableHub));

        var badToken = SowerProcess.Run(Sow.Env(server, "sower_nosuchtoken_AAAA"), null, "garden", "list");
        Assert.Equal(1, badToken.ExitCode);
        Assert.Equal("error: the server rejected the access token (unknown, expired or revoked); check --access-token or SOWER_ACCESS_TOKEN",
            Sow.SingleError(badToken));

        var badTokenHub = SowerProcess.Run(Sow.Env(server, "sower_nosuchtoken_AAAA"), null,
            "seed", "submit", Sow.NixosArtifact("badtok"), "-n", "badtok", "-t", "nixos", "--no-git");
        Assert.Equal(1, badTokenHub.ExitCode);
        Assert.Contains("rejected the access token", Sow.SingleError(badTokenHub));

        var notFound = Sow.Run(server, "seed", "show", "seed_aaaaaaaaaaaaaaaaaaaaaaaa");
        Assert.Equal(3, notFound.ExitCode);
        Assert.Equal("error: no seed seed_aaaaaaaaaaaaaaaaaaaaaaaa", Sow.SingleError(notFound));

        var noDeployment = Sow.Run(server, "deployment", "show", "dply_aaaaaaaaaaaaaaaaaaaaaaaa");
        Assert.Equal(3, noDeployment.ExitCode);
        var noFollow = Sow.Run(server, "deployment", "follow", "dply_aaaaaaaaaaaaaaaaaaaaaaaa");
        Assert.Equal(3, noFollow.ExitCode);
        Assert.Equal("error: no deployment dply_aaaaaaaaaaaaaaaaaaaaaaaa", Sow.SingleError(noFollow));
        var noSubscription = Sow.Run(server, "deploy", "no-such-garden", "web");
        Assert.Equal(3, noSubscription.ExitCode);
        var noGarden = Sow.Run(server, "garden", "show", "no-such-garden");
        Assert.Equal(3, noGarden.ExitCode);
        Assert.Equal("error: no garden named no-such-garden", Sow.SingleError(noGarden));
        var noLatest = Sow.Run(server, "seed", "latest", "-n", "never-submitted", "-t", "nixos");
        Assert.Equal(3, noLatest.ExitCode);

        var usage = Sow.Run(server, "seed", "submit", "/nix/store/x");
        Assert.Equal(2, usage.ExitCode);
        Assert.StartsWith("error: ", usage.Stderr);
        Assert.Contains("Run 'sower seed submit --help' for usage.", usage.Stderr);

        var noEndpoint = SowerProcess.Run(null, null, "garden", "list");
        Assert.Equal(2, noEndpoint.ExitCode);
        Assert.Equal("error: no server endpoint: pass --endpoint, set SOWER_ENDPOINT, or set endpoint in client.json", Sow.SingleError(noEndpoint));
    }

    [Fact]
    public void Flags_beat_the_environment_which_beats_config_files()
    {
        var dir = Directory.CreateTempSubdirectory("sower-cli-config-").FullName;
        var tokenFile = Path.Combine(dir, "token");
        File.WriteAllText(tokenFile, server.AdminToken + "\n");
        var config = Path.Combine(dir, "client.json");
        File.WriteAllText(config, new JsonObject { ["endpoint"] = server.Url, ["access_token_file"] = tokenFile }.ToJsonString());

        // Config file alone is enough.
        Assert.Equal(0, SowerProcess.Run(null, null, "seed", "list", "-c", config).ExitCode);
        // SOWER_CONFIG_FILE is the same rule.
        Assert.Equal(0, SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_CONFIG_FILE"] = config }, null, "seed", "list").ExitCode);
        // The environment beats the config: a wrong endpoint in the environment is used (and fails).
        var env = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ENDPOINT"] = "http://127.0.0.1:1" }, null, "seed", "list", "-c", config);
        Assert.Equal(5, env.ExitCode);
        // A flag beats the environment.
        var flag = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ENDPOINT"] = "http://127.0.0.1:1" }, null, "seed", "list", "-c", config, "--endpoint", server.Url);
        Assert.Equal(0, flag.ExitCode);
        // Several -c files merge in order: the later endpoint wins, the earlier token file stays.
        var broken = Path.Combine(dir, "broken.json");
        File.WriteAllText(broken, new JsonObject { ["endpoint"] = "http://127.0.0.1:1" }.ToJsonString());
        Assert.Equal(0, SowerProcess.Run(null, null, "seed", "list", "-c", broken, "-c", config).ExitCode);
        Assert.Equal(5, SowerProcess.Run(null, null, "seed", "list", "-c", config, "-c", broken).ExitCode);
        // A token given directly beats a token file at the same level (here: a bad token in the environment wins over the config's file).
        var badEnvToken = SowerProcess.Run(new Dictionary<string, string?> { ["SOWER_ACCESS_TOKEN"] = "sower_bad_AAAA" }, null, "seed", "list", "-c", config);
        Assert.Equal(1, badEnvToken.ExitCode);
        // A missing explicit config file is a usage error.
        var missing = SowerProcess.Run(null, null, "seed", "list", "-c", Path.Combine(dir, "nope.json"));
        Assert.Equal(2, missing.ExitCode);
        Sow.SingleError(missing);
    }
}

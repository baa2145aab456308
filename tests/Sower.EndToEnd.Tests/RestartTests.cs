using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class RestartTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task After_stopping_and_starting_everything_seeds_deployments_audit_events_tokens_and_gardens_are_all_still_there()
    {
        const string scenario = "restart";
        var seed = SeedName(scenario);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["now"] = PolicyRule(["activate"], ["manual"]) }),
        });
        var path = Nix.PathOf("rs-1");
        (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("rs-1");
        var sid = Str(await Cli.JsonAsync("deploy", garden.Name, "system"), "deployment_sid");
        await WaitForStateAsync(sid, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        var token = await Cli.JsonAsync("token", "create", "--description", "survives a restart", "--role", "seed:read");
        var before = await SnapshotAsync(sid);

        garden.Stop();
        activator.StopSocket();
        World.Server.Stop();
        await World.Server.StartAsync();
        await activator.StartAsync();
        await garden.StartAsync();

        var after = await SnapshotAsync(sid);
        Assert.Equal(before.Seeds, after.Seeds);
        Assert.Equal(before.Deployments, after.Deployments);
        Assert.Equal(before.Events, after.Events);
        Assert.Equal(before.Tokens, after.Tokens);
        Assert.Equal(before.Gardens, after.Gardens);
        Assert.Contains(Str(token, "sid"), after.Tokens);

        // The minted token still authenticates, and the garden came back with its stored credential (no second garden).
        var verify = await Shell.RunAsync(World.Binaries.Cli, ["seed", "list", "--json"], new Dictionary<string, string>
        {
            ["SOWER_ENDPOINT"] = World.Server.Url,
            ["SOWER_ACCESS_TOKEN"] = Str(token, "token"),
            ["SOWER_CONFIG_FILE"] = Path.Combine(World.RunDir, "no-client.json"),
        });
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.True((bool?)(await Cli.JsonAsync("garden", "show", gardenSid))["online"] == true, "the garden is not back online");
        var again = Str(await Cli.JsonAsync("deploy", garden.Name, "system"), "deployment_sid");
        var done = await WaitForStateAsync(again, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        Assert.Equal("success", Str(done, "result"));
    }

    private sealed record Snapshot(string Seeds, string Deployments, string Events, string Tokens, string Gardens);

    private async Task<Snapshot> SnapshotAsync(string deploymentSid)
    {
        static string Rows(JsonNode list, string key, params string[] fields) => string.Join("\n",
            list[key]!.AsArray().Select(r => string.Join(" ", fields.Select(f => r?[f]?.ToJsonString() ?? "null"))).Order(StringComparer.Ordinal));
        var seeds = Rows(await Cli.JsonAsync("seed", "list", "--limit", "200"), "seeds", "sid", "name", "seed_type", "artifact", "tags");
        var deployments = Rows(await Cli.JsonAsync("deployment", "list", "--limit", "200"), "deployments", "sid", "garden_sid", "state", "result", "trigger", "reason");
        var detail = await Cli.DeploymentAsync(deploymentSid);
        var events = string.Join("\n", detail["events"]!.AsArray().Select(e => e!.ToJsonString()));
        var tokens = Rows(await Cli.JsonAsync("token", "list"), "tokens", "sid", "description", "roles", "expires_on", "garden_sid");
        var gardens = Rows(await Cli.JsonAsync("garden", "list"), "gardens", "sid", "name");
        return new Snapshot(seeds, deployments, events, tokens, gardens);
    }
}

using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class RuleTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task Seeds_on_another_branch_are_never_deployed_and_a_newer_matching_seed_supersedes_a_held_one()
    {
        const string scenario = "rules";
        var seed = SeedName(scenario);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["live"] = PolicyRule(["activate"], ["realtime"], confirm: true) }, ["branch=main"]),
        });

        var dev = await Cli.RunAsync(TimeSpan.FromSeconds(60), "seed", "submit", Nix.PathOf("rules-dev"), "--name", seed, "--type", "nixos",
            "--tag", "branch=dev", "--no-git", "--wait", "--timeout", "20s", "--json");
        Assert.True(dev.ExitCode == 0, dev.ToString());
        Assert.DoesNotContain("\"kind\":\"matched\"", dev.Stdout);
        await Wait.Never(async () => (await Cli.DeploymentsAsync(gardenSid)).Count > 0, TimeSpan.FromSeconds(2), "a deployment of the dev seed",
            () => Diagnostics(garden.Process));

        (await Cli.RunAsync("seed", "submit", Nix.PathOf("rules-1"), "--name", seed, "--type", "nixos", "--tag", "branch=main", "--no-git")).EnsureSuccess();
        var held = await WaitForDeploymentAsync(gardenSid, d => (string?)d["state"] == "awaiting_approval", "the first main seed to await approval",
            TimeSpan.FromSeconds(30), garden.Process);
        (await Cli.RunAsync("seed", "submit", Nix.PathOf("rules-2"), "--name", seed, "--type", "nixos", "--tag", "branch=main", "--no-git")).EnsureSuccess();
        var newer = await WaitForDeploymentAsync(gardenSid, d => (string?)d["state"] == "awaiting_approval" && (string?)d["sid"] != Str(held, "sid"),
            "the newer main seed to await approval", TimeSpan.FromSeconds(30), garden.Process);
        var superseded = await WaitForStateAsync(Str(held, "sid"), "canceled", TimeSpan.FromSeconds(30), garden.Process);
        Assert.Contains(superseded["events"]!.AsArray(), e => (string?)e?["type"] == "canceled" && (string?)e?["reason"] == "superseded");

        await Cli.JsonAsync("deployment", "approve", Str(newer, "sid"));
        var done = await WaitForStateAsync(Str(newer, "sid"), "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        Assert.Equal("success", Str(done, "result"));
        var path = Nix.PathOf("rules-2");
        Assert.Equal([$"switch uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Equal(("system-1-link", path), activator.Profile());
        Assert.Equal(2, (await Cli.DeploymentsAsync(gardenSid)).Count);
    }
}

using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class RealtimeTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task A_submitted_seed_whose_policy_admits_realtime_is_staged_and_switched_on_the_garden()
    {
        const string scenario = "realtime";
        var seed = SeedName(scenario);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["live"] = PolicyRule(["activate"], ["realtime"]) }, ["branch=main"]),
        });
        var path = Nix.PathOf("rt-1");

        var submit = await Cli.RunAsync(TimeSpan.FromSeconds(90),
            "seed", "submit", path, "--name", seed, "--type", "nixos", "--tag", "branch=main", "--no-git", "--wait", "--timeout", "90s");

        Assert.True(submit.ExitCode == 0, $"sower seed submit --wait failed:\n{submit}\n{Diagnostics(garden.Process, activator.Process)}");
        Assert.Contains($"matched {garden.Name}/system", submit.Stdout);
        Assert.Contains("rollout finished: 1 matched, 1 succeeded, 0 failed", submit.Stdout);

        // The system profile points at the new path through generation 1, and the switch ran once, as root.
        Assert.Equal(("system-1-link", path), activator.Profile());
        Assert.Equal([$"switch uid=0 path={path}"], Nix.Activations(scenario));
        // Staging pinned the closure under the activator's gcroot for the subscription.
        var root = Assert.Single(Directory.GetFileSystemEntries(activator.GcrootsDir));
        Assert.Equal(path, new FileInfo(root).LinkTarget);

        var deployment = Assert.Single(await Cli.DeploymentsAsync(gardenSid))!;
        Assert.Equal("completed", Str(deployment, "state"));
        Assert.Equal("success", Str(deployment, "result"));
        Assert.Equal("realtime", Str(deployment, "trigger"));
        var detail = await Cli.DeploymentAsync(Str(deployment, "sid"));
        var seedRow = Assert.Single(detail["seeds"]!.AsArray())!;
        Assert.Equal("activate", Str(seedRow, "executed_action"));
        AssertLog(detail, "with mode: switch");

        // The garden reported the new generation, and the server shows it as current.
        await Wait.Until(async () =>
        {
            var generations = (await Cli.JsonAsync("garden", "show", gardenSid))["generations"]!.AsArray();
            return generations.Any(g => (string?)g?["artifact"] == path && (int?)g?["generation_number"] == 1 && (bool?)g?["is_current"] == true);
        }, TimeSpan.FromSeconds(30), "the server to show generation 1 as current", () => Diagnostics(garden.Process));
    }
}

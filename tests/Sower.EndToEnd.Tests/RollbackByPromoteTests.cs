using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>Issue 16.3: promoting an earlier seed really deploys it again, and --wait follows only the new deployment.</summary>
public sealed class RollbackByPromoteTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task Promoting_an_earlier_seed_after_a_newer_one_deployed_switches_back_and_wait_reports_the_new_deployment()
    {
        const string scenario = "promote";
        var seed = SeedName(scenario);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["live"] = PolicyRule(["activate"], ["realtime"]) }),
        });
        var a = Nix.PathOf("pr-a");
        var b = Nix.PathOf("pr-b");
        var submitA = await Cli.RunAsync(TimeSpan.FromSeconds(120), "seed", "submit", a, "--name", seed, "--type", "nixos", "--no-git", "--wait", "--timeout", "110s", "--json");
        Assert.True(submitA.ExitCode == 0, $"{submitA}\n{Diagnostics(garden.Process, activator.Process)}");
        var seedA = (string)JsonNode.Parse(submitA.Stdout.Split('\n')[0])!["seed"]!["sid"]!;
        var submitB = await Cli.RunAsync(TimeSpan.FromSeconds(120), "seed", "submit", b, "--name", seed, "--type", "nixos", "--no-git", "--wait", "--timeout", "110s");
        Assert.True(submitB.ExitCode == 0, $"{submitB}\n{Diagnostics(garden.Process, activator.Process)}");
        Assert.Equal(("system-2-link", b), activator.Profile());
        var before = (await Cli.DeploymentsAsync(gardenSid)).Select(d => Str(d, "sid")).ToHashSet();

        var promote = await Cli.RunAsync(TimeSpan.FromSeconds(120), "seed", "promote", seedA, "--wait", "--timeout", "110s");

        Assert.True(promote.ExitCode == 0, $"sower seed promote --wait failed:\n{promote}\n{Diagnostics(garden.Process, activator.Process)}");
        Assert.Equal([$"switch uid=0 path={a}", $"switch uid=0 path={b}", $"switch uid=0 path={a}"], Nix.Activations(scenario));
        Assert.Equal(("system-3-link", a), activator.Profile());
        var created = (await Cli.DeploymentsAsync(gardenSid)).Where(d => !before.Contains(Str(d, "sid"))).ToList();
        var rollback = Assert.Single(created)!;
        Assert.Equal("success", Str(rollback, "result"));
        // --wait reported the new deployment, and only it.
        Assert.Contains($"deployment {Str(rollback, "sid")} on {garden.Name}: completed (success)", promote.Stdout);
        foreach (var old in before) Assert.DoesNotContain(old, promote.Stdout);
        Assert.Contains("rollout finished: 1 matched, 1 succeeded, 0 failed", promote.Stdout);
    }
}

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

        // The garden is down while the seed is submitted (the CLI checks the artifact's marker files locally, so it must be
        // in the store then); then the closure leaves the local store, and the garden, started again, gets the realtime
        // deployment replayed and must fetch the closure from the signed cache through the activator.
        garden.Stop();
        var submitting = Cli.RunAsync(TimeSpan.FromSeconds(150),
            "seed", "submit", path, "--name", seed, "--type", "nixos", "--tag", "branch=main", "--no-git", "--wait", "--timeout", "140s");
        await Wait.Until(async () => (await Cli.DeploymentsAsync(gardenSid)).Count > 0, TimeSpan.FromSeconds(60),
            "the realtime deployment to be created for the stopped garden", () => Diagnostics(garden.Process));
        Nix.Evict("rt-1");
        Assert.False(FakeNix.IsValid(path), "the closure is still in the local store");
        await garden.StartAsync();
        var submit = await submitting;

        Assert.True(submit.ExitCode == 0, $"sower seed submit --wait failed:\n{submit}\n{Diagnostics(garden.Process, activator.Process)}");
        // Back in the store, valid, substituted (not built here: no "ultimate") and carrying the cache's signature.
        Assert.True(FakeNix.IsValid(path), "the closure was not fetched back into the store");
        var info = FakeNix.PathInfo(path);
        Assert.False((bool?)info["ultimate"] ?? false, $"the closure was not substituted: {info.ToJsonString()}");
        Assert.Contains(info["signatures"]!.AsArray(), s => ((string?)s)?.StartsWith(Nix.PublicKey.Split(':')[0] + ":", StringComparison.Ordinal) == true);
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
        AssertLog(detail, $"from '{Nix.CacheUrl}'"); // Nix's "copying path … from 'file://…'", relayed by the activator

        // The garden reported the new generation, and the server shows it as current.
        await Wait.Until(async () =>
        {
            var generations = (await Cli.JsonAsync("garden", "show", gardenSid))["generations"]!.AsArray();
            return generations.Any(g => (string?)g?["artifact"] == path && (int?)g?["generation_number"] == 1 && (bool?)g?["is_current"] == true);
        }, TimeSpan.FromSeconds(30), "the server to show generation 1 as current", () => Diagnostics(garden.Process));
    }
}

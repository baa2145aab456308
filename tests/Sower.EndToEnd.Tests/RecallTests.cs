using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>Issue 16.2: a recalled seed is replaced by the previous good one on every garden running it, offline ones on reconnect.</summary>
public sealed class RecallTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task A_recalled_seed_is_replaced_by_the_previous_good_seed_on_two_gardens_one_of_them_offline_during_the_recall()
    {
        var seed = SeedName("recall");
        JsonObject Subscriptions() => new()
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["live"] = PolicyRule(["activate"], ["realtime", "recall"]) }),
        };
        var (activatorA, gardenA, sidA) = await StartAsync("recall", Subscriptions());
        var (activatorB, gardenB, sidB) = await StartAsync("recall2", Subscriptions());
        var good = Nix.PathOf("rc-good");
        var bad = Nix.PathOf("rc-bad");
        string Logs() => Diagnostics(gardenA.Process, gardenB.Process, activatorA.Process, activatorB.Process);

        var first = await Cli.RunAsync(TimeSpan.FromSeconds(150), "seed", "submit", good, "--name", seed, "--type", "nixos", "--no-git", "--wait", "--timeout", "140s");
        Assert.True(first.ExitCode == 0, $"{first}\n{Logs()}");
        Assert.Contains("rollout finished: 2 matched, 2 succeeded, 0 failed", first.Stdout);
        var second = await Cli.RunAsync(TimeSpan.FromSeconds(150), "seed", "submit", bad, "--name", seed, "--type", "nixos", "--no-git", "--wait", "--timeout", "140s", "--json");
        Assert.True(second.ExitCode == 0, $"{second}\n{Logs()}");
        var badSid = (string)JsonNode.Parse(second.Stdout.Split('\n')[0])!["seed"]!["sid"]!;
        Assert.Equal(("system-2-link", bad), activatorA.Profile());
        Assert.Equal(("system-2-link", bad), activatorB.Profile());
        var countB = (await Cli.DeploymentsAsync(sidB)).Count;

        gardenB.Stop();
        await Wait.Until(async () => (bool?)(await Cli.JsonAsync("garden", "show", sidB))["online"] == false, TimeSpan.FromSeconds(30),
            "the server to see garden B offline", Logs);
        var recalling = Cli.RunAsync(TimeSpan.FromSeconds(180),
            "seed", "recall", badSid, "--reason", "breaks DNS on boot", "--wait", "--timeout", "170s");
        await Wait.Until(async () => (await Cli.DeploymentsAsync(sidB)).Count > countB, TimeSpan.FromSeconds(60),
            "the recall deployment to be created for the offline garden B", Logs);
        await gardenB.StartAsync();
        var recall = await recalling;

        Assert.True(recall.ExitCode == 0, $"sower seed recall --wait failed:\n{recall}\n{Logs()}");
        Assert.Contains($"seed {badSid} recalled: breaks DNS on boot", recall.Stdout);
        Assert.Contains("rollout finished: 2 matched, 2 succeeded, 0 failed", recall.Stdout);
        Assert.Equal(("system-3-link", good), activatorA.Profile());
        Assert.Equal(("system-3-link", good), activatorB.Profile());
        foreach (var garden in new[] { sidA, sidB })
        {
            var newest = (await Cli.DeploymentsAsync(garden)).First()!;
            Assert.Equal("recall", Str(newest, "trigger"));
            Assert.Equal("success", Str(newest, "result"));
        }

        // Never deployed again by any trigger: a promote of the recalled seed matches no subscription, and nothing is created.
        var shown = await Cli.JsonAsync("seed", "show", badSid);
        Assert.True((bool?)shown["recalled"] == true, shown.ToJsonString());
        Assert.Equal("breaks DNS on boot", (string?)shown["recall_reason"]);
        var before = (await Cli.DeploymentsAsync(sidA)).Count + (await Cli.DeploymentsAsync(sidB)).Count;
        var promote = await Cli.RunAsync(TimeSpan.FromSeconds(60), "seed", "promote", badSid, "--wait", "--timeout", "50s");
        Assert.True(promote.ExitCode == 0, $"{promote}\n{Logs()}");
        Assert.Contains("no subscription matches this seed", promote.Stdout);
        await Wait.Never(async () => (await Cli.DeploymentsAsync(sidA)).Count + (await Cli.DeploymentsAsync(sidB)).Count > before, TimeSpan.FromSeconds(3),
            "a deployment of the recalled seed", Logs);
        Assert.Equal(("system-3-link", good), activatorA.Profile());
    }
}

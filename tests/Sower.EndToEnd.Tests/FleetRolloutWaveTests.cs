using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>
/// Rollout waves across real gardens (issue 14.2): three real gardens (own activators, the real Nix store) follow one
/// line whose plan is "canary: role=canary", then the rest, with a short soak. A realtime seed reaches the canary alone;
/// the rest get it only after the canary succeeded and the soak passed. A seed whose activation fails on the canary halts
/// the rollout; abort keeps it from the rest for good, resume offers it to the next wave.
/// </summary>
public sealed class FleetRolloutWaveTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    private const int SoakSeconds = 3;

    /// <summary>Deployment sid → its seeds' artifacts (they never change): fewer CLI runs while polling.</summary>
    private readonly Dictionary<string, string[]> _artifacts = new(StringComparer.Ordinal);

    [Fact]
    public async Task A_realtime_seed_reaches_the_canary_first_the_rest_after_its_success_and_soak_and_a_failing_canary_halts_until_resumed_or_aborted()
    {
        const string scenario = "fleet-waves";
        var seed = SeedName(scenario);
        var subscriptions = new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["live"] = PolicyRule(["activate"], ["realtime"]) }),
        };
        var hosts = await Task.WhenAll(new[] { ("canary", "canary"), ("web1", "web"), ("web2", "web") }.Select(h =>
            StartHostAsync(scenario, h.Item1, subscriptions.DeepClone().AsObject(), new JsonObject { ["labels"] = new JsonObject { ["role"] = h.Item2 } })));
        var canary = hosts[0];
        var rest = hosts[1..];
        var all = hosts.SelectMany(h => new[] { h.Garden.Process, h.Activator.Process }).ToArray();
        string Diag() => Diagnostics(all);
        // The waves are placed by the labels the seed line knows: wait until the server has them.
        await Wait.Until(async () =>
        {
            var listed = (await Cli.JsonAsync("garden", "list", "-l", "role=canary"))["gardens"]!.AsArray();
            return listed.Any(g => (string?)g?["sid"] == canary.GardenSid);
        }, TimeSpan.FromSeconds(30), "the canary's label on the server", Diag);

        var plan = await Cli.JsonAsync("rollout", "plan", "set", seed, "--type", "nixos", "-w", "canary: role=canary", "-w", "rest", "--soak", $"{SoakSeconds}s");
        Assert.Equal("canary: role=canary", (string?)plan["plan"]!["waves"]![0]);

        // 1. A good seed: the canary first; the rest once the canary succeeded and the soak passed.
        var good = Nix.PathOf("wv-1");
        (await Cli.RunAsync("seed", "submit", good, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        var canaryGood = await CompletedAsync(canary, good, Diag);
        Assert.Equal("success", Str(canaryGood, "result"));
        var canaryDone = DateTimeOffset.Parse(Str(canaryGood, "deployed_at"), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var host in rest)
        {
            var done = await CompletedAsync(host, good, Diag);
            Assert.Equal("success", Str(done, "result"));
            var offered = DateTimeOffset.Parse(Str(done, "created_at"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(offered >= canaryDone + TimeSpan.FromSeconds(SoakSeconds),
                $"{host} was offered the seed at {offered:O}, before the canary's success ({canaryDone:O}) plus the soak of {SoakSeconds}s");
            Assert.Equal(("system-1-link", good), host.Activator.Profile());
        }
        // The seed line hears of each result asynchronously (after the deployment is recorded): wait for it to close the rollout.
        var finished = await Wait.For(() => RolloutAsync(seed), r => (string?)r["status"] == "completed", TimeSpan.FromSeconds(30), "the rollout to complete", Diag);
        Assert.Equal(new[] { "1/1", "2/2" }, finished["waves"]!.AsArray().Select(w => $"{w!["succeeded"]}/{w["total"]}").ToArray());

        // 2. A seed whose activation fails on the canary halts the rollout; the rest never get it, and abort ends it.
        var bad = Nix.PathOf("wv-bad");
        (await Cli.RunAsync("seed", "submit", bad, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Assert.Equal("failure", Str(await CompletedAsync(canary, bad, Diag), "result"));
        var halted = await Wait.For(() => RolloutAsync(seed), r => (string?)r["status"] == "halted", TimeSpan.FromSeconds(30), "the rollout to halt", Diag);
        Assert.Contains("wave 1 (canary): 1 of 1 failed", Str(halted, "reason"));
        var shown = await Cli.RunAsync("rollout", "show", seed, "--type", "nixos");
        Assert.Contains("halted", shown.EnsureSuccess().Stdout);
        // Longer than the soak: a halted rollout offers nothing to the next wave.
        await Wait.Never(async () => await OfferedAsync(rest, bad), TimeSpan.FromSeconds(SoakSeconds + 2), "the rest offered the failing seed", Diag);
        var aborted = (await Cli.JsonAsync("rollout", "abort", seed, "--type", "nixos"))["rollout"]!;
        Assert.Equal("aborted", Str(aborted, "status"));
        Assert.Equal("skipped", Str(aborted["waves"]![1], "state"));
        var again = await Cli.RunAsync("rollout", "resume", seed, "--type", "nixos");
        Assert.True(again.ExitCode != 0, $"an aborted rollout was resumed:\n{again}");
        Assert.Contains("not halted", again.Stderr + again.Stdout);
        await Wait.Never(async () => await OfferedAsync(rest, bad), TimeSpan.FromSeconds(2), "the rest offered the aborted seed", Diag);
        foreach (var host in rest) Assert.Equal(("system-1-link", good), host.Activator.Profile());

        // 3. Another failing seed halts again; resume counts the canary's wave as passed and offers the seed to the rest.
        var bad2 = Nix.PathOf("wv-bad-2");
        (await Cli.RunAsync("seed", "submit", bad2, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Assert.Equal("failure", Str(await CompletedAsync(canary, bad2, Diag), "result"));
        await Wait.For(() => RolloutAsync(seed), r => (string?)r["status"] == "halted", TimeSpan.FromSeconds(30), "the second rollout to halt", Diag);
        Assert.False(await OfferedAsync(rest, bad2), "the rest were offered a seed of a halted rollout");
        var resumed = (await Cli.JsonAsync("rollout", "resume", seed, "--type", "nixos"))["rollout"]!;
        Assert.Equal(2, (int?)resumed["current_wave"]);
        foreach (var host in rest) Assert.Equal("failure", Str(await CompletedAsync(host, bad2, Diag), "result"));
        // The rest fail too: at a threshold of 100% their first failure halts the rollout at wave 2.
        var haltedAgain = await Wait.For(() => RolloutAsync(seed), r => (string?)r["status"] == "halted" && (int?)r["current_wave"] == 2,
            TimeSpan.FromSeconds(30), "the rollout to halt at the rest", Diag);
        Assert.StartsWith("wave 2 (rest): ", Str(haltedAgain, "reason"));
    }

    private async Task<JsonNode> RolloutAsync(string seed) =>
        (await Cli.JsonAsync("rollout", "show", seed, "--type", "nixos"))["rollout"] ?? new JsonObject();

    /// <summary>Whether any of the hosts has a realtime deployment of the artifact.</summary>
    private async Task<bool> OfferedAsync(IEnumerable<FleetHost> hosts, string artifact)
    {
        foreach (var host in hosts)
        {
            if (await DeploymentOfAsync(host, artifact) is not null) return true;
        }
        return false;
    }

    private async Task<JsonNode?> DeploymentOfAsync(FleetHost host, string artifact)
    {
        foreach (var d in await Cli.DeploymentsAsync(host.GardenSid))
        {
            if ((string?)d?["trigger"] != "realtime") continue;
            var sid = Str(d, "sid");
            if (_artifacts.TryGetValue(sid, out var known) && !known.Contains(artifact)) continue;
            var detail = await Cli.DeploymentAsync(sid);
            _artifacts[sid] = [.. detail["seeds"]!.AsArray().Select(s => (string?)s?["artifact"] ?? "")];
            if (_artifacts[sid].Contains(artifact)) return detail;
        }
        return null;
    }

    /// <summary>The host's realtime deployment of the artifact, once completed.</summary>
    private async Task<JsonNode> CompletedAsync(FleetHost host, string artifact, Func<string> diagnostics)
    {
        var found = await Wait.For(() => DeploymentOfAsync(host, artifact), d => d is not null, TimeSpan.FromSeconds(90),
            $"a realtime deployment of {artifact} on {host}", diagnostics);
        return await WaitForStateAsync(Str(found, "sid"), "completed", TimeSpan.FromSeconds(90), host.Garden.Process, host.Activator.Process);
    }
}

using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>
/// The reboot lock across real hosts (issue 14.3): three real gardens, each with its own real activator and system
/// profile, in two reboot groups of one lease each, get one restart seed in real time. Each activator's reboot command
/// records its start in one shared file; the test plays each host's boot (garden killed, booted-system repointed, the
/// activator's boot-time resume, garden started again) and records its end. The record, in file order, shows that the
/// two gardens of one group never reboot at once and that the other group reboots meanwhile.
/// </summary>
public sealed class FleetRebootLockTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task Two_gardens_of_one_group_never_reboot_at_once_while_the_other_group_reboots_independently()
    {
        const string scenario = "fleet-lock";
        var seed = SeedName(scenario);
        var reboots = new RebootRecord(Path.Combine(World.RunDir, $"{scenario}-reboots"));
        var (groupA, groupB) = ($"a-{World.Nonce}", $"b-{World.Nonce}");
        var basePath = Nix.PathOf("lk-base");
        var path = Nix.PathOf("lk-1"); // another kernel than lk-base: installed for boot, then the host reboots

        (await Cli.RunAsync("reboot-lock", "groups", $"{groupA}:1:group={groupA}", $"{groupB}:1:group={groupB}")).EnsureSuccess();
        try
        {
            var subscriptions = new JsonObject
            {
                ["system"] = Subscription(seed, "nixos", new JsonObject { ["reboot"] = PolicyRule(["restart"], ["realtime"]) }),
            };
            var hosts = await Task.WhenAll(new[] { ("a1", groupA), ("a2", groupA), ("b1", groupB) }.Select(h =>
                StartHostAsync(scenario, h.Item1, subscriptions.DeepClone().AsObject(),
                    new JsonObject { ["labels"] = new JsonObject { ["group"] = h.Item2 } }, reboots, runs: basePath)));
            var all = hosts.SelectMany(h => new[] { h.Garden.Process, h.Activator.Process }).ToArray();
            string Diag() => reboots.Text() + "\n" + Diagnostics(all);
            // The lease's group comes from the garden's labels as the server knows them: wait until it knows them.
            foreach (var group in new[] { groupA, groupB })
            {
                var expected = hosts.Where(h => group == groupA ? h.Name != "b1" : h.Name == "b1").Select(h => h.GardenSid).Order().ToArray();
                await Wait.Until(async () =>
                {
                    var listed = (await Cli.JsonAsync("garden", "list", "-l", $"group={group}"))["gardens"]!.AsArray();
                    return listed.Select(g => (string?)g?["sid"]).Order().SequenceEqual(expected);
                }, TimeSpan.FromSeconds(30), $"the gardens labelled group={group}", Diag);
            }

            (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();

            // One garden of group a and the garden of group b reboot; the other of group a stages and waits for the lock.
            await Wait.Until(() => reboots.Started().Contains("b1") && reboots.Started().Any(h => h.StartsWith('a')), TimeSpan.FromSeconds(120),
                "a reboot in each group", Diag);
            var first = hosts.Single(h => h.Name == reboots.Started().First(n => n.StartsWith('a')));
            var second = hosts.Single(h => h.Name.StartsWith('a') && h != first);
            var b1 = hosts.Single(h => h.Name == "b1");
            var waitingText = $"waiting for the reboot lock (1 of 1 in use: {first.Garden.Name})";
            var secondDeployment = Str(await WaitForDeploymentAsync(second.GardenSid, Realtime, "the realtime deployment of the second garden of group a",
                TimeSpan.FromSeconds(60), all), "sid");
            await Wait.Until(async () => Log(await Cli.DeploymentAsync(secondDeployment)).Contains(waitingText, StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), $"\"{waitingText}\" in the deployment log of {second}", Diag);
            Assert.DoesNotContain(second.Name, reboots.Started());

            // The first of group a and the one of group b boot the new system; only then may the second of group a reboot.
            await Task.WhenAll(BootAsync(first, path, reboots), BootAsync(b1, path, reboots));
            await Wait.Until(() => reboots.Started().Contains(second.Name), TimeSpan.FromSeconds(120), $"the reboot of {second}", Diag);
            await BootAsync(second, path, reboots);

            foreach (var host in hosts)
            {
                var sid = Str(Assert.Single(await Cli.DeploymentsAsync(host.GardenSid), Realtime)!, "sid");
                var done = await WaitForStateAsync(sid, "completed", TimeSpan.FromSeconds(120), all);
                Assert.Equal("success", Str(done, "result"));
                Assert.Equal("restart", Str(done["seeds"]![0], "executed_action"));
                AssertLog(done, "reboot initiated: kernel_changed");
                AssertLog(done, host.Name.StartsWith('a') ? $"reboot lock granted (group {groupA}" : $"reboot lock granted (group {groupB}");
                Assert.Equal(("system-1-link", path), host.Activator.Profile());
            }
            foreach (var host in new[] { first, b1 })
            {
                var sid = Str((await Cli.DeploymentsAsync(host.GardenSid)).Single(Realtime), "sid");
                Assert.DoesNotContain("waiting for the reboot lock", Log(await Cli.DeploymentAsync(sid)));
            }

            // The record: every host rebooted exactly once; group a's two reboots do not overlap (the second starts after
            // the first host was up again), while group b's overlapped group a's first.
            var intervals = reboots.Intervals();
            _output.WriteLine(reboots.Text());
            Assert.Equal(new[] { "a1", "a2", "b1" }, intervals.Select(i => i.Host).Order().ToArray());
            Assert.All(intervals, i => Assert.True(i.End > i.Start, $"{i.Host} never came back:\n{reboots.Text()}"));
            var (one, two) = (intervals.Single(i => i.Host == first.Name), intervals.Single(i => i.Host == second.Name));
            Assert.True(two.Start > one.End, $"group a rebooted {first.Name} and {second.Name} at once:\n{reboots.Text()}");
            var b = intervals.Single(i => i.Host == "b1");
            Assert.True(b.Start < one.End && one.Start < b.End, $"group b did not reboot while group a did:\n{reboots.Text()}");

            // Every lease was given back once its host had booted the new system and reconnected.
            await Wait.Until(async () => (await Cli.JsonAsync("reboot-lock", "list"))["leases"]!.AsArray().Count == 0, TimeSpan.FromSeconds(30),
                "every reboot lease to be released after the boot", Diag);
        }
        finally
        {
            await Cli.RunAsync("reboot-lock", "groups"); // the shared server's other scenarios reboot in the default group
        }
    }

    /// <summary>The host reboots into <paramref name="system"/>: the garden dies with the old system, the boot leaves the
    /// new links, the boot-time unit resumes the activator's rollback deadlines, and the garden starts again.</summary>
    private async Task BootAsync(FleetHost host, string system, RebootRecord reboots)
    {
        host.Garden.Kill9();
        host.Runs(system);
        await host.Activator.ResumeRollbacksAtBootAsync(World);
        reboots.End(host.Name);
        await host.Garden.StartAsync();
    }

    private static bool Realtime(JsonNode? deployment) => (string?)deployment?["trigger"] == "realtime";

    private static string Log(JsonNode deployment) =>
        string.Join("\n", deployment["seeds"]!.AsArray().Select(s => (string?)s?["log"] ?? ""));
}

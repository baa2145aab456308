using System.Diagnostics;
using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

/// <summary>
/// Magic rollback on the real processes and the real Nix store: the activator arms a deadline after a switch; a garden that
/// reaches the server after it confirms; a switch that takes the garden down is rolled back by the activator alone (its
/// detached timer), and the restarted garden reports <c>rolled_back</c>; the reboot variant rolls back and reboots once.
/// </summary>
public sealed class MagicRollbackTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    private const int ConfirmTimeout = 6;
    private readonly ITestOutputHelper _output = output;

    private JsonObject Subscriptions(string seed, JsonObject policy, int confirmTimeout = ConfirmTimeout)
    {
        var subscription = Subscription(seed, "nixos", policy);
        subscription["confirm_timeout"] = confirmTimeout;
        return new JsonObject { ["system"] = subscription };
    }

    private async Task<string> DeployAsync(string seed, string key, GardenHandle garden)
    {
        (await Cli.RunAsync("seed", "submit", Nix.PathOf(key), "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        return Str(await Cli.JsonAsync("deploy", garden.Name, "system"), "deployment_sid");
    }

    [Fact]
    public async Task A_switch_that_kills_the_garden_is_rolled_back_by_the_activator_alone_and_the_restarted_garden_reports_rolled_back()
    {
        const string scenario = "rollback";
        var seed = SeedName(scenario);
        var (activator, garden, _) = await StartAsync(scenario, Subscriptions(seed, new JsonObject { ["now"] = PolicyRule(["activate"], ["manual"]) }));
        var basePath = Nix.PathOf("rb-base");
        var cutPath = Nix.PathOf("rb-cut");
        var first = await DeployAsync(seed, "rb-base", garden);
        Assert.Equal("success", Str(await WaitForStateAsync(first, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process), "result"));

        // rb-cut's switch-to-configuration kills the garden's whole process group, as a switch that breaks it would.
        File.WriteAllText(Path.Combine(Nix.RecordsDir(scenario), "garden.pgid"), garden.Process.Pid!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var cut = await DeployAsync(seed, "rb-cut", garden);
        await Wait.Until(() => Nix.Activations(scenario).Any(l => l.EndsWith("path=" + cutPath, StringComparison.Ordinal)), TimeSpan.FromSeconds(120),
            "the switch to rb-cut", () => Diagnostics(garden.Process, activator.Process));
        var lost = Stopwatch.StartNew();
        await Wait.Until(() => !garden.Process.Running, TimeSpan.FromSeconds(10), "the garden to be gone", () => Diagnostics(garden.Process));
        Assert.Equal(cutPath, activator.Profile().Target);

        // Nobody confirms: the activator's detached timer goes back to rb-base on its own.
        await Wait.Until(() => activator.Profile().Target == basePath, TimeSpan.FromSeconds(ConfirmTimeout + 15), "the profile to be rolled back to rb-base",
            () => activator.RollbackState() + Diagnostics(activator.Process));
        var restored = lost.Elapsed;
        _output.WriteLine($"benchmark: lost connection → profile restored in {restored.TotalSeconds:0.00}s (confirm_timeout {ConfirmTimeout}s, {(restored.TotalSeconds - ConfirmTimeout):0.00}s over it)");
        World.Record("rollback-restore", restored);
        Assert.True(restored < TimeSpan.FromSeconds(ConfirmTimeout + 5), $"rolled back after {restored.TotalSeconds:0.0}s");
        await Wait.Until(() => Nix.Activations(scenario).LastOrDefault()?.EndsWith("path=" + basePath, StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(15), "the previous system switched to again", () => activator.RollbackState());
        Assert.StartsWith("switch uid=0", Nix.Activations(scenario)[^1], StringComparison.Ordinal);

        // The garden comes back (as systemd would restart it) and reports what happened.
        File.Delete(Path.Combine(Nix.RecordsDir(scenario), "garden.pgid"));
        await garden.StartAsync();
        var done = await WaitForStateAsync(cut, "completed", TimeSpan.FromSeconds(60), garden.Process, activator.Process);
        Assert.Equal("rolled_back", Str(done, "result"));
        AssertLog(done, $"no confirmation from the garden within {ConfirmTimeout}s of switching to {cutPath}; rolled back to {basePath}");
        Assert.Equal(basePath, activator.Profile().Target);
        var listed = await Cli.RunAsync("deployment", "show", cut);
        Assert.Contains("rolled_back", listed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_switch_confirmed_after_reconnecting_is_never_rolled_back()
    {
        const string scenario = "rollback-kept";
        var seed = SeedName(scenario);
        // Generous, so a loaded machine still confirms in time; the proof is that the timer sees the confirm and leaves.
        var (activator, garden, _) = await StartAsync(scenario, Subscriptions(seed, new JsonObject { ["now"] = PolicyRule(["activate"], ["manual"]) }, confirmTimeout: 60));
        var first = await DeployAsync(seed, "rk-base", garden);
        await WaitForStateAsync(first, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        var second = await DeployAsync(seed, "rk-1", garden);
        var done = await WaitForStateAsync(second, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);

        Assert.Equal("success", Str(done, "result"));
        AssertLog(done, "rollback deadline: the activator rolls back unless this garden reaches the server within 60s after the switch");
        AssertLog(done, "confirmed: this garden reached the server after the switch");
        await Wait.Until(() => activator.RollbackState().Contains("Nothing to fire", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
            "the detached timer to see the confirmation and exit", () => activator.RollbackState());
        Assert.Equal(Nix.PathOf("rk-1"), activator.Profile().Target);
        Assert.Single(Nix.Activations(scenario), l => l.EndsWith("path=" + Nix.PathOf("rk-base"), StringComparison.Ordinal));
        Assert.Contains("\"state\": \"confirmed\"", activator.RollbackState(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_boots_the_new_generation_but_cannot_reach_the_server_is_rolled_back_and_rebooted_exactly_once()
    {
        const string scenario = "rollback-reboot";
        var seed = SeedName(scenario);
        var now = DateTime.UtcNow;
        var records = Nix.RecordsDir(scenario);
        var basePath = Nix.PathOf("rr-base");
        var newPath = Nix.PathOf("rr-1");
        File.CreateSymbolicLink(Path.Combine(records, "booted-system"), basePath);
        File.CreateSymbolicLink(Path.Combine(records, "current-system"), basePath);
        var (activator, garden, _) = await StartAsync(scenario, Subscriptions(seed, new JsonObject
        {
            ["reboot-window"] = PolicyRule(["restart"], ["manual"], Window(new TimeOnly(now.AddMinutes(-30).Hour, now.AddMinutes(-30).Minute),
                new TimeOnly(now.AddMinutes(30).Hour, now.AddMinutes(30).Minute))),
        }));
        var first = await DeployAsync(seed, "rr-base", garden); // the same kernel as booted: installed, no reboot
        Assert.Equal("success", Str(await WaitForStateAsync(first, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process), "result"));
        Assert.Empty(activator.Reboots());

        var second = await DeployAsync(seed, "rr-1", garden); // another kernel: boot, then reboot
        await Wait.Until(() => activator.Reboots().Length == 1, TimeSpan.FromSeconds(120), "the reboot into rr-1", () => Diagnostics(garden.Process, activator.Process));
        Assert.Equal(newPath, activator.Profile().Target);

        // The host goes down and boots rr-1, but its garden never reaches the server (it stays down here).
        garden.Kill9();
        Repoint(Path.Combine(records, "booted-system"), newPath);
        Repoint(Path.Combine(records, "current-system"), newPath);
        var booted = Stopwatch.StartNew();
        await activator.ResumeRollbacksAtBootAsync(World);

        await Wait.Until(() => activator.Profile().Target == basePath && activator.Reboots().Length == 2, TimeSpan.FromSeconds(ConfirmTimeout + 20),
            "the rollback to rr-base and its reboot", () => activator.RollbackState());
        _output.WriteLine($"benchmark: boot → rolled back and reboot requested in {booted.Elapsed.TotalSeconds:0.00}s (confirm_timeout {ConfirmTimeout}s)");
        Assert.EndsWith("path=" + basePath, Nix.Activations(scenario)[^1], StringComparison.Ordinal);
        Assert.StartsWith("boot uid=0", Nix.Activations(scenario)[^1], StringComparison.Ordinal);

        // It boots rr-base: the deadline is spent, nothing is armed again, no second reboot (never a loop).
        Repoint(Path.Combine(records, "booted-system"), basePath);
        Repoint(Path.Combine(records, "current-system"), basePath);
        await activator.ResumeRollbacksAtBootAsync(World);
        await Task.Delay(TimeSpan.FromSeconds(ConfirmTimeout + 3));
        Assert.Equal(2, activator.Reboots().Length);

        await garden.StartAsync();
        var done = await WaitForStateAsync(second, "completed", TimeSpan.FromSeconds(60), garden.Process, activator.Process);
        Assert.Equal("rolled_back", Str(done, "result"));
        AssertLog(done, $"no confirmation from the garden within {ConfirmTimeout}s of booting {newPath}; rolled back to {basePath}");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(2, activator.Reboots().Length);
    }

    private static void Repoint(string link, string target)
    {
        File.Delete(link);
        File.CreateSymbolicLink(link, target);
    }
}

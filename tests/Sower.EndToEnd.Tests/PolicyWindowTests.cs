using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class PolicyWindowTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    private static TimeOnly Minute(DateTime utc) => new(utc.Hour, utc.Minute);

    [Fact]
    public async Task Inside_a_restart_window_the_system_is_installed_for_boot_and_the_reboot_command_runs()
    {
        const string scenario = "window-in";
        var seed = SeedName(scenario);
        var now = DateTime.UtcNow;
        // The host booted (and runs) the base system; the new one has another kernel, so a reboot is needed.
        var records = Nix.RecordsDir(scenario);
        File.CreateSymbolicLink(Path.Combine(records, "booted-system"), Nix.PathOf("win-base"));
        File.CreateSymbolicLink(Path.Combine(records, "current-system"), Nix.PathOf("win-base"));
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject
            {
                ["by-hand"] = PolicyRule(["activate"], ["manual"]),
                ["reboot-window"] = PolicyRule(["restart"], ["manual"], Window(Minute(now.AddMinutes(-30)), Minute(now.AddMinutes(30)))),
            }),
        });
        var path = Nix.PathOf("win-in-1");
        (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("win-in-1");

        var accepted = await Cli.JsonAsync("deploy", garden.Name, "system");
        var sid = Str(accepted, "deployment_sid");
        // The system is installed for the next boot and the reboot command runs; the deployment is confirmed (magic
        // rollback) only once the garden reaches the server from the booted system.
        await Wait.Until(() => activator.Reboots().Length == 1, TimeSpan.FromSeconds(120), "the activator's reboot command",
            () => Diagnostics(garden.Process, activator.Process));
        Assert.Equal([$"boot uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Equal(Nix.PathOf("win-base"), new FileInfo(Path.Combine(records, "current-system")).LinkTarget);

        // The host reboots into the new system: the garden goes down and comes back, the activator resumes at boot.
        garden.Kill9();
        foreach (var link in new[] { "booted-system", "current-system" })
        {
            File.Delete(Path.Combine(records, link));
            File.CreateSymbolicLink(Path.Combine(records, link), path);
        }
        await activator.ResumeRollbacksAtBootAsync(World);
        await garden.StartAsync();
        var done = await WaitForStateAsync(sid, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);

        Assert.Equal("success", Str(done, "result"));
        Assert.Equal("restart", Str(done["seeds"]![0], "executed_action"));
        AssertLog(done, "with mode: boot");
        AssertLog(done, "reboot initiated: kernel_changed");
        Assert.True(FakeNix.IsValid(path), "the garden did not fetch the closure from the cache");
        Assert.Equal([$"boot uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Equal(("system-1-link", path), activator.Profile());
        Assert.Single(activator.Reboots());
    }

    [Fact]
    public async Task Outside_the_restart_window_the_system_is_only_switched()
    {
        const string scenario = "window-out";
        var seed = SeedName(scenario);
        var now = DateTime.UtcNow;
        var (activator, garden, _) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject
            {
                ["by-hand"] = PolicyRule(["activate"], ["manual"]),
                ["reboot-window"] = PolicyRule(["restart"], ["manual"], Window(Minute(now.AddHours(2)), Minute(now.AddHours(3)))),
            }),
        });
        var path = Nix.PathOf("win-out-1");
        (await Cli.RunAsync("seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("win-out-1");

        var accepted = await Cli.JsonAsync("deploy", garden.Name, "system");
        var done = await WaitForStateAsync(Str(accepted, "deployment_sid"), "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);

        Assert.Equal("success", Str(done, "result"));
        Assert.Equal("activate", Str(done["seeds"]![0], "executed_action"));
        Assert.Equal([$"switch uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Equal(("system-1-link", path), activator.Profile());
        Assert.Empty(activator.Reboots());
    }

    [Fact]
    public async Task With_nothing_permitted_now_the_seed_is_held_until_the_next_window_and_a_manual_deploy_proceeds()
    {
        const string scenario = "window-held";
        var seed = SeedName(scenario);
        var now = DateTime.UtcNow;
        var opens = now.AddHours(2);
        var policy = new JsonObject
        {
            ["night"] = PolicyRule(["activate"], ["realtime"], Window(Minute(opens), Minute(now.AddHours(3)))),
            ["by-hand"] = PolicyRule(["activate"], ["manual"]),
        };
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", policy.DeepClone().AsObject()),
        });
        var path = Nix.PathOf("win-held-1");
        var expectedOpening = new DateTimeOffset(opens.Year, opens.Month, opens.Day, opens.Hour, opens.Minute, 0, TimeSpan.Zero);

        var submit = await Cli.RunAsync(TimeSpan.FromSeconds(60),
            "seed", "submit", path, "--name", seed, "--type", "nixos", "--no-git", "--wait", "--timeout", "30s", "--json");
        Assert.True(submit.ExitCode == 4, $"expected exit code 4 (held by policy):\n{submit}");
        var matched = submit.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)
            .Single(e => (string?)e["kind"] == "matched");
        Assert.Equal("deny", Str(matched, "decision"));
        Assert.StartsWith("held by policy", Str(matched, "reason"));
        Assert.Equal(expectedOpening, DateTimeOffset.Parse(Str(matched, "next_window")));

        // The policy explainer gives the same next change.
        var policyFile = Path.Combine(World.RunDir, "window-held-policy.json");
        File.WriteAllText(policyFile, policy.ToJsonString());
        var eval = await Cli.RunAsync("policy", "eval", "--policy", policyFile, "--seed-type", "nixos", "--trigger", "realtime",
            "--at", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"));
        Assert.True(eval.ExitCode is 0 or 4, eval.ToString());
        var explained = JsonNode.Parse(eval.Stdout)!;
        Assert.Equal("deny", Str(explained, "decision"));
        Assert.Equal(expectedOpening, DateTimeOffset.Parse(Str(explained, "next_change")));

        Assert.Empty(await Cli.DeploymentsAsync(gardenSid));
        Assert.Empty(Nix.Activations(scenario));

        Nix.Evict("win-held-1");
        var accepted = await Cli.JsonAsync("deploy", garden.Name, "system");
        var done = await WaitForStateAsync(Str(accepted, "deployment_sid"), "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        Assert.Equal("success", Str(done, "result"));
        Assert.Equal([$"switch uid=0 path={path}"], Nix.Activations(scenario));
    }
}

using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class ScheduleTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    [Fact]
    public async Task An_every_minute_schedule_deploys_the_newest_matching_seed_on_its_own()
    {
        const string scenario = "schedule";
        var seed = SeedName(scenario);
        // Start early in a minute, so no fire lands between the garden's sync and the submissions: an empty fire there
        // would push the next useful one out by the 60 s cooldown when timers run a little late on a busy machine.
        if (DateTime.UtcNow.Second > 45) await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["cron"] = PolicyRule(["activate"], ["scheduled"]) }, schedule: "* * * * *"),
        });
        // Both seeds arrive after the garden synced, so only a cron fire can deploy them.
        (await Cli.RunAsync("seed", "submit", Nix.PathOf("sched-1"), "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        (await Cli.RunAsync("seed", "submit", Nix.PathOf("sched-2"), "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("sched-1");
        Nix.Evict("sched-2");

        // The cron fire creates the deployment within the minute; running it may take longer on a loaded machine.
        var created = await WaitForDeploymentAsync(gardenSid, _ => true, "the cron fire to create a deployment",
            TimeSpan.FromSeconds(80), garden.Process, activator.Process);
        await WaitForStateAsync(Str(created, "sid"), "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        var deployment = Assert.Single(await Cli.DeploymentsAsync(gardenSid))!;

        Assert.Equal("success", Str(deployment, "result"));
        Assert.Equal("scheduled", Str(deployment, "trigger"));
        Assert.Equal("schedule_triggered", Str(deployment, "reason"));
        var path = Nix.PathOf("sched-2");
        Assert.Equal([$"switch uid=0 path={path}"], Nix.Activations(scenario));
        Assert.Equal(("system-1-link", path), activator.Profile());
        Assert.False(FakeNix.IsValid(Nix.PathOf("sched-1")), "the older seed was fetched although only the newest is deployed");
    }
}

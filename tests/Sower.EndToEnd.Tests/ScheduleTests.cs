using System.Text.Json.Nodes;
using Sower.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Sower.EndToEnd.Tests;

public sealed class ScheduleTests(World world, ITestOutputHelper output) : Scenario(world, output)
{
    // On a quiet machine the set-up (activator, garden, sync) takes 2-3 s and the submissions about as long.
    private static readonly TimeSpan Lead = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SubmitRoom = TimeSpan.FromSeconds(3);

    private static DateTime NextWholeSecond(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond + TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    [Fact]
    public async Task An_every_minute_schedule_deploys_the_newest_matching_seed_on_its_own()
    {
        const string scenario = "schedule";
        var seed = SeedName(scenario);
        // Once a minute, at a second chosen so the first fire lands shortly after the set-up (6-field cron with seconds,
        // a documented schedule format) instead of at the next minute boundary, up to a minute away. No fire may land
        // between the garden's sync and the submissions: an empty fire there would push the next useful one out by the
        // 60 s cooldown, and one between the two submissions would deploy the older seed.
        var started = DateTime.UtcNow;
        var fireAt = NextWholeSecond(started + Lead);
        var (activator, garden, gardenSid) = await StartAsync(scenario, new JsonObject
        {
            ["system"] = Subscription(seed, "nixos", new JsonObject { ["cron"] = PolicyRule(["activate"], ["scheduled"]) },
                schedule: $"{fireAt.Second} * * * * *"),
        });
        // The two submissions and evictions take about as long as the set-up did (both are process starts); they must
        // be done before the fire, or it may deploy the older seed or find the newer one still in the store.
        var setUp = DateTime.UtcNow - started;
        if (DateTime.UtcNow + setUp + setUp + SubmitRoom > fireAt)
        {
            // Too little room before the planned fire (a very busy machine): let it pass, then restart the garden, which
            // forgets the cooldown of that fire (it found no seed) and has nothing to catch up; the same second of the
            // next minute is the useful fire (a minute later still if the fire was late and became a catch-up).
            var passed = fireAt + TimeSpan.FromSeconds(2) - DateTime.UtcNow;
            if (passed > TimeSpan.Zero) await Task.Delay(passed);
            garden.Stop();
            await garden.StartAsync();
        }
        // Both seeds arrive after the garden synced, so only a cron fire can deploy them.
        (await Cli.RunAsync("seed", "submit", Nix.PathOf("sched-1"), "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        (await Cli.RunAsync("seed", "submit", Nix.PathOf("sched-2"), "--name", seed, "--type", "nixos", "--no-git")).EnsureSuccess();
        Nix.Evict("sched-1");
        Nix.Evict("sched-2");

        // The cron fire creates the deployment within seconds (or a minute or two after the fallback above); running it
        // may take longer on a loaded machine.
        var created = await WaitForDeploymentAsync(gardenSid, _ => true, "the cron fire to create a deployment",
            TimeSpan.FromSeconds(150), garden.Process, activator.Process);
        var sid = Str(created, "sid");
        await WaitForStateAsync(sid, "completed", TimeSpan.FromSeconds(120), garden.Process, activator.Process);
        // `deployment show` asks the entity; the listing is the read model, which follows the journal a poll later.
        await WaitForDeploymentAsync(gardenSid, d => Str(d, "sid") == sid && (string?)d["state"] == "completed",
            "the listing to show the deployment completed", TimeSpan.FromSeconds(30), garden.Process, activator.Process);
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

using System.Text.Json.Nodes;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Subscriptions;
using Sower.Server.Ui.Services;

namespace Sower.Ui.Tests.Components;

public sealed class HeldTests : ConsoleTestContext
{
    private static Policy Parse(string json) => PolicyJson.Parse(JsonNode.Parse(json), "policy").Value!;

    private GardenId GardenWith(string name, Policy policy, string? schedule)
    {
        var gid = GardenId.New();
        var sub = new SubscriptionRecord(SubscriptionId.New(), gid, new SubscriptionSpec("system", name, SeedType.NixOS, [], schedule, "Etc/UTC", policy), Now);
        Model.Apply(new GardenEvents.GardenRegistered(gid, name, "host-" + name, "admin", Now), new GardenEvents.GardenSubscriptionsSynced(gid, [sub], [], Now));
        Seed(Model, name);
        return gid;
    }

    [Fact]
    public void A_newer_seed_waits_for_the_first_scheduled_run_the_policy_allows()
    {
        // Wednesday 10:00 UTC: runs at 03:00 daily, but scheduled deploys only Thursdays 02:00–04:00.
        GardenWith("web01", Parse("""{"thu-night": {"actions": ["activate"], "triggers": ["scheduled"], "window": {"days": ["thu"], "time_start": "02:00", "time_end": "04:00"}}}"""), "0 3 * * *");

        var held = Assert.Single(ConsoleQueries.Held(Model.Current, Now));

        Assert.Equal(Trigger.Scheduled, held.Trigger);
        Assert.Equal(Instant.FromUtc(2026, 3, 5, 3, 0), held.NextWindow);
    }

    [Fact]
    public void A_realtime_subscription_outside_its_window_is_held_until_the_window_opens()
    {
        GardenWith("web02", Parse("""{"weekend": {"actions": ["activate"], "triggers": ["realtime", "manual"], "window": {"days": ["sat"], "time_start": "08:00", "time_end": "12:00"}}}"""), null);

        var held = Assert.Single(ConsoleQueries.Held(Model.Current, Now));

        Assert.Equal(Trigger.Realtime, held.Trigger);
        Assert.Equal(Instant.FromUtc(2026, 3, 7, 8, 0), held.NextWindow);
    }

    [Fact]
    public void Nothing_is_held_when_the_policy_allows_it_now_or_nothing_automatic_would_deploy_it()
    {
        GardenWith("web03", Parse("""{"live": {"actions": ["activate"], "triggers": ["realtime"]}}"""), null);
        GardenWith("web04", Policy.Default, null);

        Assert.Empty(ConsoleQueries.Held(Model.Current, Now));
    }
}

public sealed class SeedStatusTests : ConsoleTestContext
{
    [Fact]
    public void Matching_seeds_are_active_pending_deployed_or_nothing()
    {
        var garden = Garden(Model, "web01", out var sub);
        var old = Seed(Model, "web01", Now - Duration.FromDays(3));
        var earlier = Seed(Model, "web01", Now - Duration.FromDays(2));
        var running = Seed(Model, "web01", Now - Duration.FromDays(1));
        var newest = Seed(Model, "web01", Now);
        foreach (var (seed, hoursAgo) in new[] { (earlier, 40), (running, 20) })
        {
            var d = Deployment(Model, garden, sub, seed, at: Now - Duration.FromHours(hoursAgo));
            Model.Apply(new Sower.Messages.Deployments.DeploymentEvents.DeploymentCompleted(d.Sid, Sower.Messages.Deployments.DeploymentResult.Success,
                Now - Duration.FromHours(hoursAgo - 1), false, garden, Now));
        }
        var g = Model.Current.Gardens[garden.Value];

        Assert.Equal("active", ConsoleQueries.SeedStatus(Model.Current, g, sub, running));
        Assert.Equal("pending", ConsoleQueries.SeedStatus(Model.Current, g, sub, newest));
        Assert.Equal("deployed", ConsoleQueries.SeedStatus(Model.Current, g, sub, earlier));
        Assert.Null(ConsoleQueries.SeedStatus(Model.Current, g, sub, old));
    }
}

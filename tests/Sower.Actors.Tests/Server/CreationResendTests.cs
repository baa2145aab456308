using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Sower.Actors.Server;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Gateway;
using Sower.Messages.Seeds;
using static Sower.Actors.Server.GardenProxyProtocol;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Deployments.DeploymentQueries;
using static Sower.Messages.Gardens.GardenCommands;

namespace Sower.Actors.Tests.Server;

/// <summary>
/// The two fixes the rolling restart of three real nodes found (README "High availability"): a garden entity re-sends a
/// deployment's creation until the deployment entity confirms it — also after the garden entity itself restarted, since
/// the pending creation is persisted — and a seed line re-delivers a realtime fan-out to a garden entity that does not
/// answer, with a growing wait, for six attempts, until it is acknowledged. The garden and the line run as real persistent
/// actors on the test journal; only the region they send to is a probe that drops what it is told to.
/// </summary>
public sealed class CreationResendTests(EntityFixture fixture) : TestKit(), IClassFixture<EntityFixture>
{
    private readonly EntityHost _host = fixture.Host;
    private static readonly ServerEntitySettings Settings = EntityFixture.Fast with { CreationResendInterval = TimeSpan.FromMilliseconds(300) };

    /// <summary>The host's real regions, except <paramref name="deployments"/> or <paramref name="gardens"/> when given.</summary>
    private ShardRefs Shards(IActorRef? deployments = null, IActorRef? gardens = null)
    {
        var registry = new ActorRegistry();
        registry.Register<SeedRegion>(_host.Seeds);
        registry.Register<SeedLineRegion>(_host.SeedLines);
        registry.Register<GardenRegion>(gardens ?? _host.Gardens);
        registry.Register<DeploymentRegion>(deployments ?? _host.Deployments);
        registry.Register<SubscriptionRegion>(_host.Subscriptions);
        return new ShardRefs(registry);
    }

    private IActorRef StartGarden(GardenId gid, IActorRef deployments) =>
        Sys.ActorOf(Props.Create(() => new GardenActor(gid.Value, fixture.Clock, Shards(deployments, null), Settings)));

    private void Stop(IActorRef actor)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(actor);
        actor.Tell(PoisonPill.Instance);
        watcher.ExpectTerminated(actor, EntityHost.Timeout);
    }

    private SeedInfo Seed(string name)
    {
        var artifact = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-" + name;
        return new SeedInfo(SeedIdentity.For(SeedType.NixOS, artifact), name, SeedType.NixOS, artifact, [new Tag("git_branch", "main")],
            fixture.Clock.GetCurrentInstant(), fixture.Clock.GetCurrentInstant(), false, "ci");
    }

    /// <summary>An enrolled garden entity (outside sharding) with a live proxy and one realtime subscription.</summary>
    private async Task<(GardenId Garden, SubscriptionId Subscription, TestProbe Proxy)> Garden(IActorRef garden, GardenId gid, string name)
    {
        await garden.Ask<GardenEnrolled>(new RegisterGarden(gid, name, "host-" + name, null, "u"), EntityHost.Timeout);
        var proxy = CreateTestProbe();
        await garden.Ask<GardenProxyAttached>(new AttachGardenProxy(gid, ConnectionId.New(), proxy.Ref), EntityHost.Timeout);
        var sub = (await garden.Ask<SubscriptionsSynced>(new SyncSubscriptions(gid, [EntityPersistenceTests.RealtimeSpec(name)]), EntityHost.Timeout)).Subscriptions[0].Sid;
        return (gid, sub, proxy);
    }

    /// <summary>Forwards every creation the probe got to the real deployment region (the garden stays the sender) until
    /// none comes for a few re-send intervals: afterwards nothing is re-sent any more.</summary>
    private async Task ForwardUntilQuiet(TestProbe deployments, DeploymentId expected)
    {
        while (await Task.Run(() => deployments.ReceiveOne(Settings.CreationResendInterval * 4)) is { } message)
        {
            Assert.Equal(expected, Assert.IsType<CreateDeployment>(message).DeploymentId);
            deployments.Forward(_host.Deployments);
        }
    }

    private async Task AssertExactlyOneDeployment(IActorRef garden, GardenId gid, DeploymentId sid)
    {
        var found = await _host.Ask<DeploymentFound>(_host.Deployments, new GetDeployment(sid));
        Assert.NotNull(found.Deployment);
        Assert.Equal(gid, found.Deployment!.Garden);
        var view = (await garden.Ask<GardenQueries.GardenFound>(new GardenQueries.GetGarden(gid), EntityHost.Timeout)).Garden!;
        Assert.Equal(sid, view.LatestDeployment?.Sid);
    }

    [Fact]
    public async Task A_creation_the_deployment_shard_dropped_is_re_sent_until_confirmed_and_makes_exactly_one_deployment()
    {
        var name = "resend-" + Guid.NewGuid().ToString("N")[..6];
        var gid = GardenIdentity.For("host-" + name);
        var deployments = CreateTestProbe();
        var garden = StartGarden(gid, deployments.Ref);
        var (_, sub, proxy) = await Garden(garden, gid, name);

        garden.Tell(new DeployRealtime(gid, sub, Seed(name), "ci", new SeedLineKey(SeedType.NixOS, name), 1));
        var dropped = deployments.ExpectMsg<CreateDeployment>(EntityHost.Timeout);
        var push = (DeploymentPush)proxy.FishForMessage<PushToGarden>(p => p.Payload is DeploymentPush, EntityHost.Timeout).Payload;
        Assert.Equal(dropped.DeploymentId.Value, push.Sid);

        // The first creation was lost (a shard that stopped): the garden sends it again, and the second one arrives.
        var resent = deployments.ExpectMsg<CreateDeployment>(EntityHost.Timeout);
        Assert.Equal(dropped.DeploymentId, resent.DeploymentId);
        Assert.Equal(dropped.Initial, resent.Initial);
        deployments.Forward(_host.Deployments);
        await ForwardUntilQuiet(deployments, dropped.DeploymentId);

        await AssertExactlyOneDeployment(garden, gid, dropped.DeploymentId);
        Stop(garden);
    }

    [Fact]
    public async Task A_garden_entity_restarted_with_a_pending_creation_still_creates_the_deployment_exactly_once()
    {
        var name = "pending-" + Guid.NewGuid().ToString("N")[..6];
        var gid = GardenIdentity.For("host-" + name);
        var lost = CreateTestProbe();
        var first = StartGarden(gid, lost.Ref);
        var (_, sub, _) = await Garden(first, gid, name);
        first.Tell(new DeployRealtime(gid, sub, Seed(name), "ci", new SeedLineKey(SeedType.NixOS, name), 1));
        var dropped = lost.ExpectMsg<CreateDeployment>(EntityHost.Timeout);
        // The entity stops (a node crash, a passivation) before any creation got through.
        Stop(first);

        // Its next incarnation recovers the pending creation from the journal and sends it, until confirmed.
        var deployments = CreateTestProbe();
        var second = StartGarden(gid, deployments.Ref);
        var resent = deployments.ExpectMsg<CreateDeployment>(EntityHost.Timeout);
        Assert.Equal(dropped.DeploymentId, resent.DeploymentId);
        Assert.Equal(dropped.Initial, resent.Initial);
        deployments.Forward(_host.Deployments);
        await ForwardUntilQuiet(deployments, dropped.DeploymentId);
        await AssertExactlyOneDeployment(second, gid, dropped.DeploymentId);
        Stop(second);

        // The confirmation is persisted too: a third incarnation sends nothing.
        var after = CreateTestProbe();
        var third = StartGarden(gid, after.Ref);
        await AssertExactlyOneDeployment(third, gid, dropped.DeploymentId);
        after.ExpectNoMsg(Settings.CreationResendInterval * 4);
        Stop(third);
    }

    [Fact]
    public async Task A_realtime_delivery_to_a_garden_entity_that_does_not_answer_is_retried_with_a_growing_wait_and_delivered_once()
    {
        var name = "retry-" + Guid.NewGuid().ToString("N")[..6];
        var line = new SeedLineKey(SeedType.NixOS, name);
        var gid = GardenIdentity.For("host-" + name);
        var sub = new SubscriptionId("sub_" + Guid.NewGuid().ToString("N")[..20]);
        var gardens = CreateTestProbe();
        var settings = EntityFixture.Fast with { FanOutRetryInterval = TimeSpan.FromMilliseconds(100) };
        var seedLine = Sys.ActorOf(Props.Create(() => new SeedLineActor(line.EntityId, Shards(null, gardens.Ref), settings, fixture.Clock)));
        var spec = EntityPersistenceTests.RealtimeSpec(name);
        seedLine.Tell(new SeedLineCommands.FollowSeedLine(line, gid, sub, spec.Rules, true));
        await seedLine.Ask<SeedLineCommands.SeedInLineSet>(new SeedLineCommands.SetSeedInLine(line, Seed(name), 1, true), EntityHost.Timeout);

        // The garden entity does not answer (its journal stalls): four attempts go unanswered, each later than the one
        // before (100, 400, 1600, 1600 ms). Three attempts, the limit before the fix, would have abandoned the delivery.
        var attempts = new List<(DeployRealtime Delivery, DateTime At)>();
        for (var i = 0; i < 5; i++) attempts.Add((gardens.ExpectMsg<DeployRealtime>(EntityHost.Timeout), DateTime.UtcNow));
        Assert.All(attempts, a => Assert.Equal((gid, sub, attempts[0].Delivery.DeliveryId), (a.Delivery.GardenId, a.Delivery.Subscription, a.Delivery.DeliveryId)));
        var waits = attempts.Zip(attempts.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.True(waits[2] > waits[0], $"the wait grows: {string.Join(", ", waits.Select(w => w.TotalMilliseconds))} ms");

        // The fifth is answered: delivered, and never sent again.
        seedLine.Tell(new SeedLineCommands.RealtimeDeliveryDone(line, sub, attempts[0].Delivery.DeliveryId));
        gardens.ExpectNoMsg(TimeSpan.FromSeconds(2.5));
        Stop(seedLine);
    }
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Gateway;
using Sower.Messages.Seeds;
using static Sower.Actors.Server.GardenProxyProtocol;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Seeds.SeedLineEvents;
using static Sower.Messages.Seeds.SeedLineQueries;

namespace Sower.Actors.Tests.Server;

/// <summary>
/// REFERENCE §6.8 at-least-once and idempotent: a seed line whose journal ends with a scheduled but undelivered fan-out
/// (what a crash between persisting and delivering leaves behind) delivers it when it recovers; delivering the same seed
/// again creates no second deployment.
/// </summary>
public sealed class RealtimeRedeliveryTests(EntityFixture fixture) : IClassFixture<EntityFixture>
{
    private readonly EntityHost _host = fixture.Host;

    [Fact]
    public async Task A_fan_out_left_pending_in_the_journal_is_delivered_on_recovery_and_a_repeat_is_a_skipped_duplicate()
    {
        var name = "redeliver-" + Guid.NewGuid().ToString("N")[..6];
        var gid = GardenIdentity.For("host-" + name);
        await _host.Ask<GardenEnrolled>(_host.Gardens, new RegisterGarden(gid, name, "host-" + name, null, "u"));
        var proxy = new TestProbe(_host.System, new XunitAssertions());
        await _host.Ask<GardenProxyAttached>(_host.Gardens, new AttachGardenProxy(gid, ConnectionId.New(), proxy.Ref));
        var spec = EntityPersistenceTests.RealtimeSpec(name);
        var sub = (await _host.Ask<SubscriptionsSynced>(_host.Gardens, new SyncSubscriptions(gid, [spec]))).Subscriptions[0].Sid;

        var line = new SeedLineKey(SeedType.NixOS, name);
        var artifact = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-" + name + "-1";
        var seed = new SeedInfo(SeedIdentity.For(SeedType.NixOS, artifact), name, SeedType.NixOS, artifact, [new Tag("git_branch", "main")],
            fixture.Clock.GetCurrentInstant(), fixture.Clock.GetCurrentInstant(), false, "ci");
        // The garden's sync already told the real line about the follower; write the rest of the "crashed" history after it.
        var lineState = await _host.Ask<LatestMatchingSeed>(_host.SeedLines, new GetLatestMatchingSeed(line, [], "warm-up"));
        Assert.Null(lineState.Seed);
        await StopLine(line);
        // The line's journal now ends as a crash between persisting the fan-out and delivering it would leave it.
        ISeedLineEvent[] history = [new SeedLineEntrySet(line, seed, 1), new RealtimeFanOutScheduled(line, seed.Sid, "ci", [sub], 1_000)];
        var persistenceId = "seedline-" + line.EntityId;
        var writer = _host.System.ActorOf(Props.Create(() => new JournalWriter(persistenceId, history)));
        Assert.Equal("written", await writer.Ask<string>("write", EntityHost.Timeout));

        // Waking the line (any message) recovers it; recovery delivers the pending fan-out to the garden.
        await _host.Ask<LatestMatchingSeed>(_host.SeedLines, new GetLatestMatchingSeed(line, [], "wake"));
        var push = (DeploymentPush)proxy.FishForMessage<PushToGarden>(p => p.Payload is DeploymentPush { Skipped: false }, EntityHost.Timeout).Payload;
        Assert.Equal("realtime", push.Trigger);
        Assert.Equal(seed.Sid.Value, push.SeedDeployments[0].Seed.Sid);

        // The same delivery again (at-least-once) is suppressed as a duplicate of the unresolved deployment.
        _host.Gardens.Tell(new DeployRealtime(gid, sub, seed, "ci", line, 1_001));
        var repeat = (DeploymentPush)proxy.FishForMessage<PushToGarden>(p => p.Payload is DeploymentPush, EntityHost.Timeout).Payload;
        Assert.True(repeat.Skipped);
        Assert.Equal(push.Sid, repeat.Sid);
    }

    private async Task StopLine(SeedLineKey line)
    {
        // Passivate the live line entity so the next message recovers it from the journal written below.
        var region = _host.SeedLines;
        var shardRegionState = await region.Ask<Akka.Cluster.Sharding.CurrentShardRegionState>(Akka.Cluster.Sharding.GetShardRegionState.Instance, EntityHost.Timeout);
        Assert.Contains(shardRegionState.Shards, s => s.EntityIds.Contains(line.EntityId));
        var entity = await _host.System.ActorSelection($"/system/sharding/seed-line/*/{Uri.EscapeDataString(line.EntityId)}").ResolveOne(EntityHost.Timeout);
        var watcher = new TestProbe(_host.System, new XunitAssertions());
        watcher.Watch(entity);
        entity.Tell(PoisonPill.Instance);
        watcher.ExpectTerminated(entity, EntityHost.Timeout);
    }

    /// <summary>Writes events under a persistence id, as the line would have before a crash.</summary>
    private sealed class JournalWriter : ReceivePersistentActor
    {
        public JournalWriter(string persistenceId, IReadOnlyList<ISeedLineEvent> events)
        {
            PersistenceId = persistenceId;
            Recover<object>(_ => { });
            Command<string>(_ =>
            {
                var sender = Sender;
                PersistAll(events, _ => { });
                DeferAsync("done", _ => sender.Tell("written"));
            });
        }

        public override string PersistenceId { get; }
    }
}

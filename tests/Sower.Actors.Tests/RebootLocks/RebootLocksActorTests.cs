using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.RebootLocks;
using Sower.Actors.Serialization;
using Sower.Messages.Domain;
using Sower.Messages.RebootLocks;
using Xunit.Abstractions;
using static Sower.Messages.RebootLocks.RebootLockCommands;
using static Sower.Messages.RebootLocks.RebootLockEvents;
using static Sower.Messages.RebootLocks.RebootLockQueries;
using static Sower.Messages.RebootLocks.RebootLockReplies;

namespace Sower.Actors.Tests.RebootLocks;

/// <summary>The reboot lease table actor with a fake clock on in-memory persistence: expiry by timer, release on
/// reconnect, and recovery of the whole table by a new incarnation (what a failover does).</summary>
public sealed class RebootLocksActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config Configuration = ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serializers.sower-reboot-locks = "{{typeof(RebootLockSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IRebootLockMessage).AssemblyQualifiedName}}" = sower-reboot-locks }
        akka.actor.serialization-identifiers { "{{typeof(RebootLockSerializer).AssemblyQualifiedName}}" = 214 }
        """);

    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 12, 5, 10, 0));
    private static readonly RebootLockSettings Settings = new(1, Duration.FromMinutes(30));

    private static readonly GardenId Web03 = new("grdn_aaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly GardenId Web07 = new("grdn_bbbbbbbbbbbbbbbbbbbbbbbb");
    private static readonly DeploymentId DplyA = new("dply_aaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly DeploymentId DplyB = new("dply_bbbbbbbbbbbbbbbbbbbbbbbb");
    private static readonly ConnectionId Conn1 = new("conn_aaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly ConnectionId Conn2 = new("conn_bbbbbbbbbbbbbbbbbbbbbbbb");
    private static readonly Actor Ops = Actor.Token(new TokenId("abcdefghijklmnopqrstuvwx"), "ops");

    public RebootLocksActorTests(ITestOutputHelper output) : base(Configuration, output: output) { }

    private IActorRef Table(TimeSpan? expiryEvery = null) => Sys.ActorOf(RebootLocksActor.Props(_clock, Settings, expiryEvery));

    private static AcquireRebootLease Acquire(GardenId garden, string name, DeploymentId deployment, ConnectionId connection) =>
        new(garden, name, ImmutableDictionary<string, string>.Empty.Add("name", name), deployment, connection);

    [Fact]
    public void A_second_garden_waits_until_the_holder_reconnects_after_booting()
    {
        var table = Table();
        table.Tell(Acquire(Web03, "web03", DplyA, Conn1));
        ExpectMsg<RebootLeaseGranted>();
        table.Tell(Acquire(Web07, "web07", DplyB, Conn1));
        Assert.Equal("waiting for the reboot lock (1 of 1 in use: web03)", ExpectMsg<RebootLeaseDenied>().Text);

        table.Tell(new ReleaseRebootLease(Web03, DplyA, Conn2, RebootReleaseReason.Booted));
        ExpectMsg<RebootLeaseReleaseConfirmed>();
        table.Tell(Acquire(Web07, "web07", DplyB, Conn1));
        Assert.Equal(Web07, ExpectMsg<RebootLeaseGranted>().Lease.Garden);
    }

    [Fact]
    public void An_overdue_lease_expires_on_the_timer_and_is_published_as_held_too_long()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(RebootLeaseHeldTooLong));
        var table = Table(TimeSpan.FromMilliseconds(100));
        table.Tell(Acquire(Web03, "web03", DplyA, Conn1));
        ExpectMsg<RebootLeaseGranted>();

        _clock.Advance(Duration.FromMinutes(31));
        var overdue = ExpectMsg<RebootLeaseHeldTooLong>(TimeSpan.FromSeconds(5));
        Assert.Equal((Web03, DplyA), (overdue.Lease.Garden, overdue.Lease.Deployment));
        table.Tell(GetRebootLocks.Instance);
        Assert.Empty(ExpectMsg<RebootLockList>().Leases);
    }

    [Fact]
    public void A_new_incarnation_recovers_leases_rules_and_inhibitions_from_the_journal()
    {
        var table = Table();
        table.Tell(new SetRebootGroupRules([new RebootGroupRule("web", "name=web03", 1)], Ops));
        ExpectMsg<RebootGroupRulesSaved>();
        table.Tell(Acquire(Web03, "web03", DplyA, Conn1));
        Assert.Equal("web", ExpectMsg<RebootLeaseGranted>().Lease.Group);
        table.Tell(new ReportGardenInhibition(Web07, "web07", "inhibit file /run/sower/inhibit exists"));
        ExpectMsg<GardenInhibitionRecorded>();

        Watch(table);
        Sys.Stop(table);
        ExpectTerminated(table);

        var recovered = Table();
        recovered.Tell(GetRebootLocks.Instance);
        var list = ExpectMsg<RebootLockList>();
        Assert.Equal([(Web03, DplyA, "web")], list.Leases.Select(l => (l.Garden, l.Deployment, l.Group)));
        Assert.Equal(["web"], list.Rules.Select(r => r.Group));
        Assert.Equal(["web07"], list.Inhibitions.Select(i => i.GardenName));
        recovered.Tell(Acquire(Web03, "web03", DplyA, Conn2));
        Assert.Equal(Conn1, ExpectMsg<RebootLeaseGranted>().Lease.Connection);
        recovered.Tell(new ForceReleaseRebootLease(Web03, Ops));
        ExpectMsg<RebootLeaseReleaseConfirmed>();
    }

    public static TheoryData<IRebootLockMessage> Messages()
    {
        var at = Instant.FromUtc(2026, 12, 5, 10, 0);
        var lease = new RebootLease(Web03, "web03", DplyA, "default", Conn1, at, at + Duration.FromMinutes(30));
        var rules = ImmutableArray.Create(new RebootGroupRule("web", "role=web", 2));
        var inhibition = new GardenInhibition(Web03, "web03", "maintenance", at);
        return
        [
            new RebootLeaseAcquired(lease),
            new RebootLeaseReleased(Web03, DplyA, RebootReleaseReason.Booted, Actor.Garden(Web03), at),
            new RebootGroupRulesSet(rules, Ops, at),
            new GardenInhibited(inhibition),
            new GardenInhibitionEnded(Web03, at),
            Acquire(Web03, "web03", DplyA, Conn1),
            new ReleaseRebootLease(Web03, DplyA, Conn1, RebootReleaseReason.NotNeeded),
            new ForceReleaseRebootLease(Web03, Ops),
            new SetRebootGroupRules(rules, Ops),
            new ReportGardenInhibition(Web03, "web03", null),
            ExpireRebootLeases.Instance,
            GetRebootLocks.Instance,
            new RebootLeaseGranted(lease),
            new RebootLeaseDenied("web", 2, 2, ["web03", "web07"]),
            new RebootLeaseReleaseConfirmed(Web03),
            new RebootGroupRulesSaved(rules),
            new GardenInhibitionRecorded(Web03),
            new RebootLockList([lease], rules, 1, 1800, [inhibition], at),
            new RebootLockError(RebootLockErrorCodes.Invalid, ["x"]),
        ];
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_reboot_lock_message_round_trips_through_its_serializer(IRebootLockMessage message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<RebootLockSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        Assert.IsType(message.GetType(), back);
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType(), SowerJson.Options), JsonSerializer.Serialize(back, back.GetType(), SowerJson.Options));
    }

    [Fact]
    public void Every_supported_type_has_a_round_trip_case_and_a_pinned_manifest()
    {
        var covered = ((IEnumerable<object[]>)Messages()).Select(row => row[0].GetType()).ToHashSet();
        Assert.Empty(RebootLockSerializer.SupportedTypes.Where(t => !covered.Contains(t)).Select(t => t.Name));
        var serializer = new RebootLockSerializer((ExtendedActorSystem)Sys);
        // Pinned: persisted manifests never change meaning.
        Assert.Equal(
            ["rbl-garden-inhibited-v1", "rbl-garden-inhibition-ended-v1", "rbl-lease-acquired-v1", "rbl-lease-released-v1", "rbl-rules-set-v1"],
            ((IEnumerable<object[]>)Messages()).Select(r => r[0]).OfType<IRebootLockEvent>().Select(serializer.Manifest).Order(StringComparer.Ordinal));
    }
}

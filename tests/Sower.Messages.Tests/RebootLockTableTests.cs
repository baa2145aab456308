using System.Collections.Immutable;
using NodaTime;
using NodaTime.Testing;
using Sower.Messages.Domain;
using Sower.Messages.RebootLocks;
using static Sower.Messages.RebootLocks.RebootLockCommands;
using static Sower.Messages.RebootLocks.RebootLockEvents;
using static Sower.Messages.RebootLocks.RebootLockReplies;

namespace Sower.Messages.Tests;

/// <summary>The reboot lease table as pure decisions over a fake clock (issue 14.3): no actors.</summary>
public sealed class RebootLockTableTests
{
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 12, 5, 10, 0));
    private static readonly RebootLockSettings Settings = new(1, Duration.FromMinutes(30));
    private static readonly RebootLockSettings TwoPerGroup = new(2, Duration.FromMinutes(30));
    private static readonly Actor Ops = Actor.Token(new TokenId("abcdefghijklmnopqrstuvwx"), "ops");

    private static readonly GardenId Web03 = new("grdn_aaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly GardenId Web07 = new("grdn_bbbbbbbbbbbbbbbbbbbbbbbb");
    private static readonly GardenId Web09 = new("grdn_cccccccccccccccccccccccc");
    private static readonly GardenId Db01 = new("grdn_dddddddddddddddddddddddd");
    private static readonly ConnectionId Conn1 = new("conn_aaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly ConnectionId Conn2 = new("conn_bbbbbbbbbbbbbbbbbbbbbbbb");

    private static readonly Dictionary<GardenId, string> Names = new() { [Web03] = "web03", [Web07] = "web07", [Web09] = "web09", [Db01] = "db01" };

    private static AcquireRebootLease Acquire(GardenId garden, DeploymentId deployment, ConnectionId? connection = null) =>
        new(garden, Names[garden], ImmutableDictionary<string, string>.Empty.Add("name", Names[garden]), deployment, connection ?? Conn1);

    private static DeploymentId Dply(char c) => new("dply_" + new string(c, 24));

    /// <summary>Decides, then applies its events: the actor's loop without the actor.</summary>
    private (RebootLockTable Table, IRebootLockMessage Reply) Run(RebootLockTable table, Func<RebootLockTable, RebootLockDecision> decide)
    {
        var decision = decide(table);
        return (decision.Events.Aggregate(table, (t, e) => t.Apply(e)), decision.Reply);
    }

    [Fact]
    public void A_free_group_grants_a_lease_that_expires_after_the_ttl()
    {
        var (table, reply) = Run(RebootLockTable.Empty, t => t.Decide(Acquire(Web03, Dply('a')), _clock.GetCurrentInstant(), Settings));
        var lease = Assert.IsType<RebootLeaseGranted>(reply).Lease;
        Assert.Equal(RebootLockSettings.DefaultGroup, lease.Group);
        Assert.Equal(_clock.GetCurrentInstant() + Duration.FromMinutes(30), lease.ExpiresAt);
        Assert.Equal(lease, table.Leases[Web03.Value]);
    }

    [Fact]
    public void A_full_group_denies_and_names_the_holders_in_the_log_line()
    {
        var now = _clock.GetCurrentInstant();
        var (table, _) = Run(RebootLockTable.Empty, t => t.Decide(Acquire(Web03, Dply('a')), now, TwoPerGroup));
        (table, _) = Run(table, t => t.Decide(Acquire(Web07, Dply('b')), now + Duration.FromSeconds(1), TwoPerGroup));
        var (after, reply) = Run(table, t => t.Decide(Acquire(Web09, Dply('c')), now + Duration.FromSeconds(2), TwoPerGroup));

        var denied = Assert.IsType<RebootLeaseDenied>(reply);
        Assert.Equal("waiting for the reboot lock (2 of 2 in use: web03, web07)", denied.Text);
        Assert.Equal(table, after);
    }

    [Fact]
    public void The_holder_asking_again_keeps_its_lease_and_deadline_without_an_event()
    {
        var (table, first) = Run(RebootLockTable.Empty, t => t.Decide(Acquire(Web03, Dply('a')), _clock.GetCurrentInstant(), Settings));
        _clock.Advance(Duration.FromMinutes(5));
        var decision = table.Decide(Acquire(Web03, Dply('a'), Conn2), _clock.GetCurrentInstant(), Settings);
        Assert.Empty(decision.Events);
        Assert.Equal(Assert.IsType<RebootLeaseGranted>(first).Lease, Assert.IsType<RebootLeaseGranted>(decision.Reply).Lease);
    }

    [Fact]
    public void An_expired_lease_no_longer_counts_and_is_released_as_expired()
    {
        var (table, _) = Run(RebootLockTable.Empty, t => t.Decide(Acquire(Web03, Dply('a')), _clock.GetCurrentInstant(), Settings));
        _clock.Advance(Duration.FromMinutes(29));
        Assert.IsType<RebootLeaseDenied>(table.Decide(Acquire(Web07, Dply('b')), _clock.GetCurrentInstant(), Settings).Reply);
        Assert.Empty(table.Expire(_clock.GetCurrentInstant()));

        _clock.Advance(Duration.FromMinutes(1));
        Assert.IsType<RebootLeaseGranted>(table.Decide(Acquire(Web07, Dply('b')), _clock.GetCurrentInstant(), Settings).Reply);
        var expired = Assert.IsType<RebootLeaseReleased>(Assert.Single(table.Expire(_clock.GetCurrentInstant())));
        Assert.Equal(RebootReleaseReason.Expired, expired.Reason);
        Assert.Empty(table.Apply(expired).Leases);
    }

    [Fact]
    public void Release_after_reboot_must_come_from_a_new_connection_and_frees_the_group()
    {
        var (table, _) = Run(RebootLockTable.Empty, t => t.Decide(Acquire(Web03, Dply('a'), Conn1), _clock.GetCurrentInstant(), Settings));

        var sameConnection = table.Decide(new ReleaseRebootLease(Web03, Dply('a'), Conn1, RebootReleaseReason.Booted), _clock.GetCurrentInstant());
        Assert.Empty(sameConnection.Events);
        Assert.Equal(RebootLockErrorCodes.Invalid, Assert.IsType<RebootLockError>(sameConnection.Reply).Code);

        var (released, reply) = Run(table, t => t.Decide(new ReleaseRebootLease(Web03, Dply('a'), Conn2, RebootReleaseReason.Booted), _clock.GetCurrentInstant()));
        Assert.IsType<RebootLeaseReleaseConfirmed>(reply);
        Assert.Empty(released.Leases);
        Assert.IsType<RebootLeaseGranted>(released.Decide(Acquire(Web07, Dply('b')), _clock.GetCurrentInstant(), Settings).Reply);
    }

    [Fact]
    public void A_garden_can_neither_release_another_gardens_lease_nor_one_for_another_deployment()
    {
        var (table, _) = Run(RebootLockTable.Empty, t => t.Decide(Acquire(Web03, Dply('a')), _clock.GetCurrentInstant(), Settings));
        foreach (var release in new[]
                 {
                     new ReleaseRebootLease(Web07, Dply('a'), Conn2, RebootReleaseReason.NotNeeded),
                     new ReleaseRebootLease(Web03, Dply('z'), Conn2, RebootReleaseReason.NotNeeded),
                     new ReleaseRebootLease(Web03, Dply('a'), Conn2, RebootReleaseReason.Forced),
                     new ReleaseRebootLease(Web03, Dply('a'), Conn2, (RebootReleaseReason)99),
                 })
        {
            var decision = table.Decide(release, _clock.GetCurrentInstant());
            Assert.Empty(decision.Events);
            Assert.IsType<RebootLockError>(decision.Reply);
        }
        Assert.Single(table.Leases);
    }

    [Fact]
    public void Gardens_fall_into_the_group_of_the_first_matching_rule_else_the_default_group()
    {
        var rules = ImmutableArray.Create(new RebootGroupRule("db", "name=db01", 1), new RebootGroupRule("web", "name=web03", 1), new RebootGroupRule("web-too", "name=web03", 5));
        var (table, saved) = Run(RebootLockTable.Empty, t => t.Decide(new SetRebootGroupRules(rules, Ops), _clock.GetCurrentInstant()));
        Assert.IsType<RebootGroupRulesSaved>(saved);
        var now = _clock.GetCurrentInstant();

        (table, var a) = Run(table, t => t.Decide(Acquire(Db01, Dply('a')), now, Settings));
        (table, var b) = Run(table, t => t.Decide(Acquire(Web03, Dply('b')), now, Settings));
        (table, var c) = Run(table, t => t.Decide(Acquire(Web07, Dply('c')), now, Settings));
        var d = table.Decide(Acquire(Web09, Dply('d')), now, Settings).Reply;

        Assert.Equal("db", Assert.IsType<RebootLeaseGranted>(a).Lease.Group);
        Assert.Equal("web", Assert.IsType<RebootLeaseGranted>(b).Lease.Group);
        Assert.Equal(RebootLockSettings.DefaultGroup, Assert.IsType<RebootLeaseGranted>(c).Lease.Group);
        Assert.Equal("waiting for the reboot lock (1 of 1 in use: web07)", Assert.IsType<RebootLeaseDenied>(d).Text);
    }

    [Theory]
    [InlineData("db", "", 1)]
    [InlineData("db", "role=web,", 1)]
    [InlineData("db", "role=we b", 1)]
    [InlineData("db", "role=web", 0)]
    [InlineData("db", "role=web", 10_001)]
    [InlineData("default", "role=web", 1)]
    [InlineData("", "role=web", 1)]
    [InlineData("d b", "role=web", 1)]
    [InlineData("db\n", "role=web", 1)]
    public void Hostile_or_malformed_rules_are_refused_with_an_error_and_nothing_changes(string group, string selector, int max)
    {
        var decision = RebootLockTable.Empty.Decide(new SetRebootGroupRules([new RebootGroupRule(group, selector, max)], Ops), _clock.GetCurrentInstant());
        Assert.Empty(decision.Events);
        Assert.NotEmpty(Assert.IsType<RebootLockError>(decision.Reply).Errors);
    }

    [Fact]
    public void Duplicate_groups_are_refused()
    {
        var rules = ImmutableArray.Create(new RebootGroupRule("web", "role=web", 1), new RebootGroupRule("web", "zone=eu-1", 1));
        Assert.IsType<RebootLockError>(RebootLockTable.Empty.Decide(new SetRebootGroupRules(rules, Ops), _clock.GetCurrentInstant()).Reply);
    }

    [Fact]
    public void Force_release_frees_any_lease_and_names_the_operator()
    {
        var (table, _) = Run(RebootLockTable.Empty, t => t.Decide(Acquire(Web03, Dply('a')), _clock.GetCurrentInstant(), Settings));
        var decision = table.Decide(new ForceReleaseRebootLease(Web03, Ops), _clock.GetCurrentInstant());
        var released = Assert.IsType<RebootLeaseReleased>(Assert.Single(decision.Events));
        Assert.Equal((RebootReleaseReason.Forced, Ops), (released.Reason, released.By));
        Assert.IsType<RebootLockError>(table.Decide(new ForceReleaseRebootLease(Web07, Ops), _clock.GetCurrentInstant()).Reply);
    }

    [Fact]
    public void A_stale_release_of_an_older_deployment_never_drops_the_newer_lease()
    {
        var (table, _) = Run(RebootLockTable.Empty, t => t.Decide(Acquire(Web03, Dply('a')), _clock.GetCurrentInstant(), Settings));
        (table, _) = Run(table, t => t.Decide(Acquire(Web03, Dply('b')), _clock.GetCurrentInstant(), Settings));
        var after = table.Apply(new RebootLeaseReleased(Web03, Dply('a'), RebootReleaseReason.Expired, Actor.Server, _clock.GetCurrentInstant()));
        Assert.Equal(Dply('b'), after.Leases[Web03.Value].Deployment);
    }

    [Fact]
    public void Replaying_the_events_after_a_failover_restores_the_same_table()
    {
        var now = _clock.GetCurrentInstant();
        var events = new List<IRebootLockEvent>();
        var table = RebootLockTable.Empty;
        foreach (var decide in new Func<RebootLockTable, RebootLockDecision>[]
                 {
                     t => t.Decide(new SetRebootGroupRules([new RebootGroupRule("db", "name=db01", 1)], Ops), now),
                     t => t.Decide(Acquire(Web03, Dply('a')), now, Settings),
                     t => t.Decide(Acquire(Db01, Dply('b')), now, Settings),
                     t => t.Decide(new ReportGardenInhibition(Web07, "web07", "inhibit file /run/sower/inhibit exists"), now),
                     t => t.Decide(new ReleaseRebootLease(Db01, Dply('b'), Conn2, RebootReleaseReason.Booted), now),
                 })
        {
            var d = decide(table);
            events.AddRange(d.Events);
            table = d.Events.Aggregate(table, (t, e) => t.Apply(e));
        }
        var replayed = events.Aggregate(RebootLockTable.Empty, (t, e) => t.Apply(e));
        Assert.Equal(table.Leases.Values, replayed.Leases.Values);
        Assert.Equal(table.Rules, replayed.Rules);
        Assert.Equal(table.Inhibitions.Values, replayed.Inhibitions.Values);
        Assert.IsType<RebootLeaseDenied>(replayed.Decide(Acquire(Web07, Dply('c')), now, Settings).Reply);
    }

    [Fact]
    public void Inhibition_is_recorded_once_keeps_its_start_and_ends()
    {
        var (table, _) = Run(RebootLockTable.Empty, t => t.Decide(new ReportGardenInhibition(Web03, "web03", "maintenance"), _clock.GetCurrentInstant()));
        var since = table.Inhibitions[Web03.Value].Since;
        _clock.Advance(Duration.FromMinutes(1));
        Assert.Empty(table.Decide(new ReportGardenInhibition(Web03, "web03", "maintenance"), _clock.GetCurrentInstant()).Events);
        (table, _) = Run(table, t => t.Decide(new ReportGardenInhibition(Web03, "web03", "db failover"), _clock.GetCurrentInstant()));
        Assert.Equal(("db failover", since), (table.Inhibitions[Web03.Value].Reason, table.Inhibitions[Web03.Value].Since));
        (table, _) = Run(table, t => t.Decide(new ReportGardenInhibition(Web03, "web03", null), _clock.GetCurrentInstant()));
        Assert.Empty(table.Inhibitions);
        Assert.IsType<RebootLockError>(table.Decide(new ReportGardenInhibition(Web03, "web03", "a\nb"), _clock.GetCurrentInstant()).Reply);
        Assert.IsType<RebootLockError>(table.Decide(new ReportGardenInhibition(Web03, "web03", new string('x', 501)), _clock.GetCurrentInstant()).Reply);
    }
}

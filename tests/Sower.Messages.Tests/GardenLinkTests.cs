using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Messages.Tests;

/// <summary>The garden's server link without actors: which attempt is current, what a connect outcome means, backoff and polls.</summary>
public sealed class GardenLinkTests
{
    [Fact]
    public void The_outcome_of_an_attempt_a_newer_one_replaced_is_stale()
    {
        var link = GardenLink.Initial.ConnectStarted().ConnectStarted();
        Assert.Equal(2, link.Generation);
        Assert.Equal(ConnectVerdict.Stale, link.Decide(1, opened: true, LinkWait.None, credentialRefused: false));
        Assert.Equal(link, link.Apply(ConnectVerdict.Stale));
        Assert.Equal(ConnectVerdict.Connected, link.Decide(2, opened: true, LinkWait.None, credentialRefused: false));
    }

    [Fact]
    public void A_close_that_overtakes_its_connect_outcome_drops_the_new_session_and_a_new_attempt_forgets_it()
    {
        var link = GardenLink.Initial.ConnectStarted();
        // A close of an older attempt says nothing about this one.
        Assert.False(link.ClosedBeforeOutcome(0).ClosedWhileConnecting);
        var closed = link.ClosedBeforeOutcome(1);
        Assert.Equal(ConnectVerdict.DroppedWhileOpening, closed.Decide(1, opened: true, LinkWait.None, credentialRefused: false));
        // A failed attempt whose connection closed is an ordinary failure.
        Assert.Equal(ConnectVerdict.Backoff, closed.Decide(1, opened: false, LinkWait.None, credentialRefused: false));
        var next = closed.ConnectStarted();
        Assert.False(next.ClosedWhileConnecting);
        Assert.Equal(ConnectVerdict.Connected, next.Decide(2, opened: true, LinkWait.None, credentialRefused: false));
    }

    [Fact]
    public void A_refused_credential_is_retried_at_once_only_on_the_first_attempt()
    {
        var link = GardenLink.Initial.ConnectStarted();
        var verdict = link.Decide(1, opened: false, LinkWait.None, credentialRefused: true);
        Assert.Equal(ConnectVerdict.RetryNow, verdict);
        var after = link.Apply(verdict).ConnectStarted();
        Assert.Equal(1, after.Attempt);
        Assert.Equal(ConnectVerdict.Backoff, after.Decide(2, opened: false, LinkWait.None, credentialRefused: true));
    }

    [Fact]
    public void A_session_resets_the_backoff_and_the_enrollment_polls()
    {
        var link = GardenLink.Initial.ConnectStarted();
        (link, _) = link.BackedOff(0.5);
        (link, _) = link.BackedOff(0.5);
        (link, _, _) = link.EnrollmentPolled(LinkWait.StillPending, TimeSpan.FromMinutes(5));
        Assert.Equal(2, link.Attempt);
        Assert.Equal(1, link.PendingPolls);
        var connected = link.Apply(ConnectVerdict.Connected);
        Assert.Equal(0, connected.Attempt);
        Assert.Equal(0, connected.PendingPolls);
        // A plain failure ends the enrollment wait but keeps backing off.
        var failed = link.Apply(ConnectVerdict.Backoff);
        Assert.Equal(2, failed.Attempt);
        Assert.Equal(0, failed.PendingPolls);
    }

    [Fact]
    public void Backoff_doubles_from_0_2_s_to_a_60_s_cap_one_attempt_at_a_time()
    {
        var link = GardenLink.Initial;
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 12; i++)
        {
            (link, var delay) = link.BackedOff(1.0);
            delays.Add(delay);
        }
        Assert.Equal(TimeSpan.FromSeconds(0.2), delays[0]);
        Assert.Equal(TimeSpan.FromSeconds(0.4), delays[1]);
        Assert.Equal(TimeSpan.FromSeconds(60), delays[^1]);
        Assert.Equal(12, link.Attempt);
        Assert.Equal(TimeSpan.FromSeconds(0.2), GardenLink.Backoff(30, 0.0));
    }

    [Fact]
    public void A_parked_enrollment_is_polled_with_a_doubling_delay_under_the_cap_and_explained_on_parking_and_every_20th_poll()
    {
        var cap = TimeSpan.FromSeconds(30);
        var (link, delay, loud) = GardenLink.Initial.EnrollmentPolled(LinkWait.Parked, cap);
        Assert.Equal(TimeSpan.FromSeconds(2), delay);
        Assert.True(loud);
        var louds = new List<int>();
        for (var poll = 2; poll <= 40; poll++)
        {
            (link, delay, loud) = link.EnrollmentPolled(LinkWait.StillPending, cap);
            if (poll == 2) Assert.Equal(TimeSpan.FromSeconds(4), delay);
            if (loud) louds.Add(poll);
        }
        Assert.Equal(cap, delay);
        Assert.Equal([20, 40], louds);
    }

    [Fact]
    public void Waiting_on_an_admin_and_draining_are_decided_before_keeping_a_session()
    {
        var link = GardenLink.Initial.ConnectStarted();
        Assert.Equal(ConnectVerdict.WaitForAdmin, link.Decide(1, opened: false, LinkWait.Rejected, credentialRefused: false));
        var draining = link.Drained();
        Assert.Equal(ConnectVerdict.DisposeDraining, draining.Decide(1, opened: true, LinkWait.None, credentialRefused: false));
        Assert.True(draining.ConnectStarted().Draining);
    }

    [Fact]
    public void Synced_subscriptions_pair_by_subscription_name_never_by_seed()
    {
        var web = new SubscriptionSpec("web", "host", SeedType.NixOS, [], null, null, Policy.Default);
        var db = new SubscriptionSpec("db", "host", SeedType.NixOS, [], null, null, Policy.Default);
        var configured = ImmutableArray.Create(web, db);
        var reply = new JsonObject
        {
            ["subscriptions"] = new JsonArray(
                new JsonObject { ["name"] = "db", ["sid"] = "sub_2" },
                new JsonObject { ["name"] = "gone", ["sid"] = "sub_9" },
                new JsonObject { ["sid"] = "sub_x" }),
        };
        var synced = Assert.Single(GardenLink.Synced(configured, reply)!.Value);
        Assert.Equal("sub_2", synced.Sid);
        Assert.Same(db, synced.Spec);
        var bare = Assert.Single(GardenLink.Synced(configured, new JsonArray(new JsonObject { ["name"] = "web", ["sid"] = "sub_1" }))!.Value);
        Assert.Equal("sub_1", bare.Sid);
        Assert.Same(web, bare.Spec);
        Assert.Null(GardenLink.Synced(configured, new JsonObject { ["ok"] = true }));
        Assert.Null(GardenLink.Synced(configured, null));
    }
}

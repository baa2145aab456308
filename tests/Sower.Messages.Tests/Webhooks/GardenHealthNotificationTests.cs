using System.Collections.Immutable;
using NodaTime;
using NodaTime.Testing;
using Sower.Messages.Webhooks;

namespace Sower.Messages.Tests.Webhooks;

/// <summary>garden.stale and garden.failing: once per transition into the condition, with a key stable per episode.</summary>
public sealed class GardenHealthNotificationTests
{
    private static readonly GardenHealthSettings Settings = new(Duration.FromMinutes(10), 2);
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 12, 5, 12, 0));
    private GardenHealthState _state = GardenHealthState.Empty;

    private ImmutableArray<Notification> Check(params GardenHealthSample[] gardens)
    {
        var (state, raised) = GardenHealthNotifications.Check(_state, gardens, _clock.GetCurrentInstant(), Settings);
        _state = state;
        return raised;
    }

    private GardenHealthSample Offline(Instant lastSeen, params string[] streak) => new("grdn_web01", "web01", false, lastSeen, [.. streak]);

    private GardenHealthSample Online(params string[] streak) => new("grdn_web01", "web01", true, _clock.GetCurrentInstant(), [.. streak]);

    [Fact]
    public void A_garden_offline_for_the_stale_period_is_announced_once_however_often_it_is_checked()
    {
        var left = _clock.GetCurrentInstant();
        _clock.Advance(Duration.FromMinutes(9));
        Assert.Empty(Check(Offline(left)));

        _clock.Advance(Duration.FromMinutes(1));
        var stale = Assert.Single(Check(Offline(left)));
        Assert.Equal(NotificationKinds.GardenStale, stale.Kind);
        Assert.Equal($"garden.stale:grdn_web01:{left.ToUnixTimeSeconds()}", stale.Key);
        Assert.Equal("web01", stale.Subject["garden_name"]);
        Assert.Equal("2026-12-05T12:00:00Z", stale.Subject["last_seen"]);
        Assert.Contains("not seen since 2026-12-05T12:00:00Z", stale.Summary);

        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(Duration.FromMinutes(3));
            Assert.Empty(Check(Offline(left)));
        }
        // Its last-seen instant settling later (the session's end recorded late, even so late that it is not stale by
        // that instant) is the same episode: only a connection ends it.
        Assert.Empty(Check(Offline(left + Duration.FromSeconds(2))));
        Assert.Empty(Check(Offline(_clock.GetCurrentInstant() - Duration.FromSeconds(1))));
        Assert.Empty(Check(Offline(left + Duration.FromSeconds(2))));
        Assert.Single(_state.Stale);
    }

    [Fact]
    public void A_recovery_is_not_announced_and_only_a_new_full_stale_period_starts_a_new_episode()
    {
        var left = _clock.GetCurrentInstant();
        _clock.Advance(Duration.FromMinutes(11));
        Assert.Single(Check(Offline(left)));

        Assert.Empty(Check(Online()));
        // Flapping: offline again, but not for a full stale period yet.
        var again = _clock.GetCurrentInstant();
        _clock.Advance(Duration.FromMinutes(5));
        Assert.Empty(Check(Offline(again)));
        _clock.Advance(Duration.FromMinutes(5));
        var second = Assert.Single(Check(Offline(again)));
        Assert.Equal($"garden.stale:grdn_web01:{again.ToUnixTimeSeconds()}", second.Key);
    }

    [Fact]
    public void A_checker_that_restarts_raises_the_same_key_for_the_same_episode()
    {
        var left = _clock.GetCurrentInstant();
        _clock.Advance(Duration.FromMinutes(30));
        var first = Assert.Single(Check(Offline(left, "dply_b", "dply_a")), n => n.Kind == NotificationKinds.GardenStale);
        _state = GardenHealthState.Empty;
        _clock.Advance(Duration.FromMinutes(30));
        var raised = Check(Offline(left, "dply_b", "dply_a"));
        Assert.Equal(first.Key, Assert.Single(raised, n => n.Kind == NotificationKinds.GardenStale).Key);
        Assert.Equal("garden.failing:grdn_web01:dply_a", Assert.Single(raised, n => n.Kind == NotificationKinds.GardenFailing).Key);
    }

    [Fact]
    public void Failing_starts_at_the_threshold_of_failures_in_a_row_is_announced_once_per_streak_and_ends_with_a_success()
    {
        Assert.Empty(Check(Online("dply_a")));
        var failing = Assert.Single(Check(Online("dply_b", "dply_a")));
        Assert.Equal(NotificationKinds.GardenFailing, failing.Kind);
        Assert.Equal("garden.failing:grdn_web01:dply_a", failing.Key);
        Assert.Equal("dply_b,dply_a", failing.Subject["deployments"]);
        Assert.Contains("its last 2 deployments failed", failing.Summary);

        // A third failure is the same streak.
        Assert.Empty(Check(Online("dply_c", "dply_b", "dply_a")));
        // A deployment that did not fail ends it, silently; the next streak is a new episode.
        Assert.Empty(Check(Online()));
        Assert.Empty(Check(Online("dply_e")));
        Assert.Equal("garden.failing:grdn_web01:dply_e", Assert.Single(Check(Online("dply_f", "dply_e"))).Key);
    }

    [Fact]
    public void A_long_streak_names_only_its_newest_deployments_and_keeps_the_key_of_its_first()
    {
        var streak = Enumerable.Range(0, 40).Select(i => $"dply_{39 - i:00}").ToArray();
        var failing = Assert.Single(Check(Online(streak)));
        Assert.Equal("garden.failing:grdn_web01:dply_00", failing.Key);
        Assert.Equal(GardenHealthNotifications.MaxListed, failing.Subject["deployments"].Split(',').Length);
    }

    [Fact]
    public void A_garden_that_is_deleted_is_forgotten()
    {
        var left = _clock.GetCurrentInstant();
        _clock.Advance(Duration.FromHours(1));
        Assert.Single(Check(Offline(left)));
        Assert.Empty(Check());
        Assert.Empty(_state.Stale);
        Assert.Empty(_state.Failing);
    }
}

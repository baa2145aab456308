using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Actors.Tests.Server;

/// <summary>The seed line's ordering and its durable realtime fan-out (REFERENCE §2, §6.8), as pure state.</summary>
public sealed class SeedLineStateTests
{
    private static readonly SeedLineKey Line = new(SeedType.NixOS, "web");
    private static readonly GardenId Garden = new("grdn_abcdefghijklmnopqrstuvwx");

    private static SeedInfo Seed(string id, Instant recency, bool retired = false, params Tag[] tags) =>
        new(new SeedId("seed_" + id.PadRight(24, 'a')), "web", SeedType.NixOS, "/nix/store/x-" + id, [.. tags], recency, recency, retired, "ci");

    private static SeedLineState Fold(SeedLineState state, IEnumerable<ISeedLineEvent> events) => events.Aggregate(state, (s, e) => s.Apply(e));

    [Fact]
    public void Latest_matching_is_the_greatest_recency_ties_to_the_later_insertion_and_retired_never_matches()
    {
        var t = Instant.FromUtc(2026, 1, 1, 0, 0);
        var state = SeedLineState.Empty;
        foreach (var seed in new[] { Seed("b", t), Seed("c", t), Seed("d", t - Duration.FromDays(1)), Seed("e", t + Duration.FromDays(1), retired: true) })
        {
            state = Fold(state, state.Decide(new SetSeedInLine(Line, seed, 1, FanOut: false)));
        }
        Assert.Equal("seed_caaaaaaaaaaaaaaaaaaaaaaa", state.LatestMatching([])!.Sid.Value);
    }

    [Fact]
    public void A_new_seed_schedules_one_pending_delivery_per_realtime_follower_that_matches_and_bursts_coalesce()
    {
        var state = SeedLineState.Empty;
        var realtime = SubscriptionId.New();
        var notRealtime = SubscriptionId.New();
        var otherBranch = SubscriptionId.New();
        state = Fold(state, state.Decide(new FollowSeedLine(Line, Garden, realtime, [], Realtime: true)));
        state = Fold(state, state.Decide(new FollowSeedLine(Line, Garden, notRealtime, [], Realtime: false)));
        state = Fold(state, state.Decide(new FollowSeedLine(Line, Garden, otherBranch, [Rule.Equal("branch", "other")], Realtime: true)));

        var first = Seed("f", Instant.FromUtc(2026, 1, 1, 0, 0), false, new Tag("branch", "main"));
        var events = state.Decide(new SetSeedInLine(Line, first, 1, FanOut: true));
        var scheduled = Assert.Single(events.OfType<RealtimeFanOutScheduled>());
        Assert.Equal([realtime], scheduled.Subscriptions.ToArray());
        state = Fold(state, events);

        // A second seed before delivery: still one pending delivery for the subscription, now with the newer id.
        var second = Seed("g", Instant.FromUtc(2026, 1, 1, 0, 1), false, new Tag("branch", "main"));
        state = Fold(state, state.Decide(new SetSeedInLine(Line, second, 1, FanOut: true)));
        var pending = Assert.Single(state.Pending.Values);
        Assert.True(pending.DeliveryId > scheduled.DeliveryId);

        // The ack of the stale delivery id leaves it pending; the ack of the current one clears it.
        state = state.Apply(new RealtimeFanOutDelivered(Line, realtime, scheduled.DeliveryId));
        Assert.Single(state.Pending);
        state = state.Apply(new RealtimeFanOutDelivered(Line, realtime, pending.DeliveryId));
        Assert.Empty(state.Pending);
    }

    [Fact]
    public void Repeated_updates_are_idempotent_and_plain_resubmissions_never_fan_out()
    {
        var state = SeedLineState.Empty;
        var sub = SubscriptionId.New();
        state = Fold(state, state.Decide(new FollowSeedLine(Line, Garden, sub, [], Realtime: true)));
        var seed = Seed("h", Instant.FromUtc(2026, 1, 1, 0, 0));
        state = Fold(state, state.Decide(new SetSeedInLine(Line, seed, 1, FanOut: false)));
        Assert.Empty(state.Pending);
        Assert.Empty(state.Decide(new SetSeedInLine(Line, seed, 1, FanOut: true)));
        Assert.Empty(state.Decide(new FollowSeedLine(Line, Garden, sub, [], Realtime: true)));
        // A new version with the same recency (tags added) does not fan out either.
        Assert.DoesNotContain(state.Decide(new SetSeedInLine(Line, seed with { Tags = [new Tag("x", "y")] }, 2, FanOut: true)), e => e is RealtimeFanOutScheduled);
        // Promotion (recency up) does.
        Assert.Contains(state.Decide(new SetSeedInLine(Line, seed with { Recency = seed.Recency + Duration.FromHours(1) }, 3, FanOut: true)),
            e => e is RealtimeFanOutScheduled);
    }
}

using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedLineEvents;
using static Sower.Messages.Seeds.SeedLineQueries;

namespace Sower.Actors.Tests.Server;

/// <summary>The seed line's per-garden commands decided as one batch (issue 17): the same events as one by one.</summary>
public sealed class SeedLineBatchTests
{
    private static readonly SeedLineKey Line = new(SeedType.NixOS, "web");

    private static GardenId Garden(int i) => new("grdn_" + i.ToString().PadLeft(24, 'a'));

    private static SeedLineState Fold(SeedLineState state, IEnumerable<ISeedLineEvent> events) => events.Aggregate(state, (s, e) => s.Apply(e));

    private static SeedLineState OneByOne(SeedLineState state, IEnumerable<object> commands) =>
        commands.Aggregate(state, (s, c) => Fold(s, SeedLineBatch.Decide(s, [c])));

    [Fact]
    public void A_batch_of_follows_and_acknowledgements_yields_the_events_of_deciding_them_one_by_one()
    {
        var subs = Enumerable.Range(0, 5).Select(_ => SubscriptionId.New()).ToArray();
        var state = SeedLineState.Empty;
        state = Fold(state, SeedLineBatch.Decide(state, subs.Select((s, i) => (object)new FollowSeedLine(Line, Garden(i), s, [], Realtime: true))));
        Assert.Equal(5, state.Followers.Count);

        var seed = new SeedInfo(new SeedId("seed_" + new string('a', 24)), "web", SeedType.NixOS, "/nix/store/x-web", [],
            Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 1, 1, 0, 0), false, "ci");
        state = Fold(state, state.Decide(new SetSeedInLine(Line, seed, 1, FanOut: true)));
        var delivery = state.Pending.Values.First().DeliveryId;
        Assert.Equal(5, state.Pending.Count);

        // Acknowledged twice (a re-sent delivery), once with a stale id, one unfollow, and a follow repeated unchanged.
        object[] batch =
        [
            new RealtimeDeliveryDone(Line, subs[0], delivery), new RealtimeDeliveryDone(Line, subs[0], delivery),
            new RealtimeDeliveryDone(Line, subs[1], delivery - 1), new RealtimeDeliveryDone(Line, subs[2], delivery),
            new UnfollowSeedLine(Line, subs[3]), new UnfollowSeedLine(Line, subs[3]),
            new FollowSeedLine(Line, Garden(4), subs[4], [], Realtime: true),
        ];
        var events = SeedLineBatch.Decide(state, batch);

        Assert.Equal(3, events.Length);
        Assert.Equal(2, events.OfType<RealtimeFanOutDelivered>().Count());
        Assert.Single(events.OfType<SeedLineUnfollowed>());
        var batched = Fold(state, events);
        var single = OneByOne(state, batch);
        Assert.Equal(single.Pending.Keys.Order(), batched.Pending.Keys.Order());
        Assert.Equal(single.Followers.Keys.Order(), batched.Followers.Keys.Order());
        // Still pending: the one acknowledged with a stale id, and the one nobody acknowledged (an unfollow drops its delivery).
        Assert.Equal(new[] { subs[1].Value, subs[4].Value }.Order(), batched.Pending.Keys.Order());
    }

    [Fact]
    public void Only_follow_unfollow_and_delivery_acknowledgements_are_batched()
    {
        Assert.True(SeedLineBatch.IsBatched(new RealtimeDeliveryDone(Line, SubscriptionId.New(), 1)));
        Assert.False(SeedLineBatch.IsBatched(new GetLatestMatchingSeed(Line, [], "x")));
        Assert.Throws<ArgumentException>(() => SeedLineBatch.Decide(SeedLineState.Empty, [new GetLatestMatchingSeed(Line, [], "x")]));
    }
}

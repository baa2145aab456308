using System.Collections.Immutable;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Messages.Seeds;

/// <summary>
/// The seed line's small, per-garden commands (follow, unfollow, a delivery acknowledged) decided as one batch (issue 17):
/// a fleet connecting or acknowledging a rollout sends one per garden, and one journal write each, one after the other,
/// made the line the bottleneck of the fan-out. Each command is decided against the state after the ones before it, so
/// the events are exactly those of deciding them one by one.
/// </summary>
public static class SeedLineBatch
{
    public static bool IsBatched(object command) => command is FollowSeedLine or UnfollowSeedLine or RealtimeDeliveryDone;

    public static ImmutableArray<ISeedLineEvent> Decide(SeedLineState state, IEnumerable<object> commands)
    {
        var events = ImmutableArray.CreateBuilder<ISeedLineEvent>();
        foreach (var command in commands)
        {
            var decided = command switch
            {
                FollowSeedLine f => state.Decide(f),
                UnfollowSeedLine u => state.Followers.ContainsKey(u.Subscription.Value) ? [new SeedLineUnfollowed(u.Line, u.Subscription)] : [],
                RealtimeDeliveryDone d => state.Pending.TryGetValue(d.Subscription.Value, out var p) && p.DeliveryId == d.DeliveryId
                    ? [new RealtimeFanOutDelivered(d.Line, d.Subscription, d.DeliveryId)]
                    : ImmutableArray<ISeedLineEvent>.Empty,
                _ => throw new ArgumentException($"{command.GetType().Name} is not a batched seed line command", nameof(commands)),
            };
            foreach (var e in decided) state = state.Apply(e);
            events.AddRange(decided);
        }
        return events.ToImmutable();
    }
}

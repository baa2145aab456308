using System.Collections.Immutable;
using Sower.Messages.Domain;

namespace Sower.Messages.Seeds;

public interface IWithSeedLineKey
{
    SeedLineKey Line { get; }
}

public static class SeedLineCommands
{
    /// <summary>The SeedActor's latest view of one seed. Idempotent by Version; FanOut asks for realtime fan-out when the
    /// seed is new to the line or its recency went up (creation or promotion).</summary>
    public sealed record SetSeedInLine(SeedLineKey Line, SeedInfo Seed, long Version, bool FanOut) : IWithSeedLineKey, ISowerSerializable;

    /// <summary>Reply to SetSeedInLine once the line has persisted it.</summary>
    public sealed record SeedInLineSet(SeedId SeedId, long Version) : ISowerSerializable;

    /// <summary>A renamed seed leaves its old line.</summary>
    public sealed record RemoveSeedFromLine(SeedLineKey Line, SeedId SeedId) : IWithSeedLineKey, ISowerSerializable;

    /// <summary>A subscription follows this line (sent by its garden on every sync; idempotent).</summary>
    public sealed record FollowSeedLine(SeedLineKey Line, GardenId Garden, SubscriptionId Subscription, ImmutableArray<Rule> Rules, bool Realtime)
        : IWithSeedLineKey, ISowerSerializable;

    public sealed record UnfollowSeedLine(SeedLineKey Line, SubscriptionId Subscription) : IWithSeedLineKey, ISowerSerializable;

    /// <summary>The garden handled a realtime delivery (whatever the outcome); the line stops re-delivering it.</summary>
    public sealed record RealtimeDeliveryDone(SeedLineKey Line, SubscriptionId Subscription, long DeliveryId) : IWithSeedLineKey, ISowerSerializable;
}

public static class SeedLineQueries
{
    /// <summary>REFERENCE §2 latest matching seed: greatest recency, ties to the most recently inserted; retired never matches.</summary>
    public sealed record GetLatestMatchingSeed(SeedLineKey Line, ImmutableArray<Rule> Rules, string Correlation) : IWithSeedLineKey, ISowerSerializable;

    public sealed record LatestMatchingSeed(string Correlation, SeedInfo? Seed) : ISowerSerializable;

    /// <summary>The subscriptions following this line whose rules a seed satisfies (recalled or not): who a recall must reach.</summary>
    public sealed record GetSeedLineFollowers(SeedLineKey Line, SeedId Seed, string Correlation) : IWithSeedLineKey, ISowerSerializable;

    public sealed record SeedLineFollowers(string Correlation, ImmutableArray<SeedLineFollower> Followers) : ISowerSerializable;

    /// <summary>The seeds of a line, newest (by recency) first.</summary>
    public sealed record GetSeedsInLine(SeedLineKey Line, int Offset, int Limit) : IWithSeedLineKey, ISowerSerializable;

    public sealed record SeedsInLine(ImmutableArray<SeedInfo> Seeds, int Total) : ISowerSerializable;
}

public static class SeedLineEvents
{
    public interface ISeedLineEvent : ISowerEvent
    {
        SeedLineKey Line { get; }
    }

    public sealed record SeedLineEntrySet(SeedLineKey Line, SeedInfo Seed, long Version) : ISeedLineEvent;

    public sealed record SeedLineEntryRemoved(SeedLineKey Line, SeedId SeedId) : ISeedLineEvent;

    public sealed record SeedLineFollowed(SeedLineKey Line, GardenId Garden, SubscriptionId Subscription, ImmutableArray<Rule> Rules, bool Realtime)
        : ISeedLineEvent;

    public sealed record SeedLineUnfollowed(SeedLineKey Line, SubscriptionId Subscription) : ISeedLineEvent;

    /// <summary>Durable fan-out job: these subscriptions owe a realtime Create. Coalesces: one pending delivery per subscription.</summary>
    public sealed record RealtimeFanOutScheduled(SeedLineKey Line, SeedId Trigger, string Actor, ImmutableArray<SubscriptionId> Subscriptions, long DeliveryId)
        : ISeedLineEvent;

    public sealed record RealtimeFanOutDelivered(SeedLineKey Line, SubscriptionId Subscription, long DeliveryId) : ISeedLineEvent;

    /// <summary>After the last of its attempts a delivery is given up (REFERENCE §6.8: up to 3 attempts).</summary>
    public sealed record RealtimeFanOutAbandoned(SeedLineKey Line, SubscriptionId Subscription, long DeliveryId) : ISeedLineEvent;
}

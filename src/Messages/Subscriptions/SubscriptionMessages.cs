using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Subscriptions;

public interface IWithSubscriptionId
{
    SubscriptionId SubscriptionId { get; }
}

public static class SubscriptionCommands
{
    /// <summary>From the owning garden after every sync (idempotent); the garden stays the authority, this is its per-sid mirror.</summary>
    public sealed record UpsertSubscription(SubscriptionId SubscriptionId, SubscriptionRecord Record) : IWithSubscriptionId, ISowerSerializable;

    /// <summary>From the owning garden when a sync no longer lists the subscription.</summary>
    public sealed record RemoveSubscription(SubscriptionId SubscriptionId, GardenId Garden) : IWithSubscriptionId, ISowerSerializable;
}

public static class SubscriptionQueries
{
    public sealed record GetSubscription(SubscriptionId SubscriptionId) : IWithSubscriptionId, ISowerSerializable;

    /// <summary>Null when no garden has (or still has) a subscription with this sid.</summary>
    public sealed record SubscriptionFound(SubscriptionRecord? Subscription) : ISowerSerializable;
}

public static class SubscriptionEvents
{
    public interface ISubscriptionEvent : ISowerEvent
    {
        SubscriptionId SubscriptionId { get; }
    }

    public sealed record SubscriptionUpserted(SubscriptionId SubscriptionId, SubscriptionRecord Record) : ISubscriptionEvent;

    public sealed record SubscriptionRemoved(SubscriptionId SubscriptionId, GardenId Garden, Instant At) : ISubscriptionEvent;
}

/// <summary>
/// One subscription by sid: its garden, rules, schedule, zone and policy as last synced. Answers "whose is this sid?"
/// consistently (the gateway's ownership check, the manual-deploy endpoint) without waiting for projections.
/// </summary>
public sealed record SubscriptionEntityState(SubscriptionRecord? Record) : ISowerSerializable
{
    public static readonly SubscriptionEntityState Empty = new((SubscriptionRecord?)null);

    public SubscriptionEntityState Apply(SubscriptionEvents.ISubscriptionEvent e) => e switch
    {
        SubscriptionEvents.SubscriptionUpserted u => new SubscriptionEntityState(u.Record),
        SubscriptionEvents.SubscriptionRemoved => Empty,
        _ => this,
    };

    public SubscriptionEvents.ISubscriptionEvent? Decide(object command, Instant now) => command switch
    {
        SubscriptionCommands.UpsertSubscription u when Record is null || Record.Garden == u.Record.Garden =>
            Record == u.Record ? null : new SubscriptionEvents.SubscriptionUpserted(u.SubscriptionId, u.Record),
        SubscriptionCommands.RemoveSubscription r when Record is not null && Record.Garden == r.Garden =>
            new SubscriptionEvents.SubscriptionRemoved(r.SubscriptionId, r.Garden, now),
        _ => null,
    };
}

using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// The garden's own verdict on one pushed seed before anything runs (REFERENCE §5.10): run it with at most
/// <see cref="Allowed"/>, or record it as skipped with <see cref="Skipped"/> as its log line. Pure: the drift check, which
/// reads the host's profiles, is made by the caller and passed in (<c>driftHold</c>).
/// </summary>
public sealed record SeedAdmission(PolicyAction? Allowed, string? Skipped, bool DriftHeld)
{
    /// <param name="subscription">The garden's own subscription the seed was pushed for; null when it is not known here.</param>
    /// <param name="driftHold">Why the drift guard holds this seed back (null: it does not); only consulted for a known subscription.</param>
    /// <param name="approved">An operator approved the deployment (a <c>confirm</c> policy then allows it).</param>
    public static SeedAdmission Decide(GardenSeedDeployment item, SubscriptionSpec? subscription, string? driftHold, Trigger trigger,
        bool approved, Instant now)
    {
        if (subscription is null || item.Seed.SeedType is not { } type)
            return Skip($"subscription {item.SubscriptionSid} is not known locally; {item.Seed.Name} skipped");
        if (driftHold is not null) return new SeedAdmission(null, driftHold, DriftHeld: true);
        var decision = PolicyEvaluator.Evaluate(subscription.Policy, trigger, now, type, ZoneOf(subscription));
        if (decision.Kind == DecisionKind.Deny || (decision.Kind == DecisionKind.Confirm && !approved) || decision.Action is null)
            return Skip($"{item.Seed.Name} ({item.Seed.SeedTypeWire}) not permitted by local policy (trigger {trigger.ToWire()}: {decision.Kind.ToString().ToLowerInvariant()})");
        // Never more than the server-sent action (pitfall 16).
        return new SeedAdmission(item.Action is { } cap ? PolicyActions.Min(decision.Action.Value, cap) : decision.Action.Value, null, false);
    }

    /// <summary>The subscription's time zone (its windows and schedules are read in it); UTC when it names none this host knows.</summary>
    public static DateTimeZone ZoneOf(SubscriptionSpec spec) => Zones.TryGet(spec.Timezone, out var zone) ? zone! : Zones.Utc;

    private static SeedAdmission Skip(string text) => new(null, text, false);
}

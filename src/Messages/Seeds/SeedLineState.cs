using System.Collections.Immutable;
using Sower.Messages.Domain;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Messages.Seeds;

public sealed record SeedLineEntry(SeedInfo Seed, long Version, long Sequence) : ISowerSerializable;

public sealed record SeedLineFollower(GardenId Garden, SubscriptionId Subscription, ImmutableArray<Rule> Rules, bool Realtime) : ISowerSerializable;

/// <summary>A realtime delivery owed to one subscription: the newest DeliveryId wins, so a burst coalesces.</summary>
public sealed record PendingRealtimeDelivery(SubscriptionId Subscription, long DeliveryId, string Actor, int Attempts) : ISowerSerializable;

/// <summary>The ordered seeds of one (name, type), the subscriptions that follow them, and the pending realtime fan-out.</summary>
public sealed record SeedLineState(
    ImmutableArray<SeedLineEntry> Entries,
    long NextSequence,
    ImmutableDictionary<string, SeedLineFollower> Followers,
    ImmutableDictionary<string, PendingRealtimeDelivery> Pending,
    long NextDeliveryId,
    Rollouts.SeedLineRollouts? Rollouts = null) : ISowerSerializable
{
    /// <summary>Attempts of one realtime delivery before it is abandoned: with the seed line's growing wait (capped at 16×
    /// the retry interval) about 6 minutes by default, so a journal outage of a few minutes (a circuit breaker open under
    /// load during a rolling restart, measured in tests/Sower.Cluster.Tests) does not lose the delivery.</summary>
    public const int MaxAttempts = 6;

    public static readonly SeedLineState Empty = new([], 1, ImmutableDictionary<string, SeedLineFollower>.Empty,
        ImmutableDictionary<string, PendingRealtimeDelivery>.Empty, 1);

    public SeedLineEntry? Find(SeedId sid) => Entries.FirstOrDefault(e => e.Seed.Sid == sid);

    /// <summary>Newest first: greatest recency, ties to the later insertion.</summary>
    public IEnumerable<SeedInfo> Ordered() =>
        Entries.OrderByDescending(e => e.Seed.Recency).ThenByDescending(e => e.Sequence).Select(e => e.Seed);

    public SeedInfo? LatestMatching(IEnumerable<Rule> rules)
    {
        var list = rules as IReadOnlyCollection<Rule> ?? rules.ToList();
        return Ordered().FirstOrDefault(s => SeedMatching.Matches(s.Name, s.Type, s.Tags, s.Withdrawn, s.Name, s.Type, list));
    }

    public SeedLineState Apply(ISeedLineEvent e)
    {
        switch (e)
        {
            case SeedLineEntrySet raw:
            {
                // Entries written for garden-reported seeds by older servers are read as retired: never latest again.
                var set = raw with { Seed = LegacyReportedSeeds.Quarantine(raw.Seed) };
                var existing = Find(set.Seed.Sid);
                if (existing is null)
                {
                    return this with { Entries = Entries.Add(new SeedLineEntry(set.Seed, set.Version, NextSequence)), NextSequence = NextSequence + 1 };
                }
                return this with { Entries = Entries.Replace(existing, existing with { Seed = set.Seed, Version = set.Version }) };
            }
            case SeedLineEntryRemoved removed:
                return this with { Entries = Entries.RemoveAll(x => x.Seed.Sid == removed.SeedId) };
            case SeedLineFollowed f:
                return this with { Followers = Followers.SetItem(f.Subscription.Value, new SeedLineFollower(f.Garden, f.Subscription, f.Rules, f.Realtime)) };
            case SeedLineUnfollowed u:
                return this with { Followers = Followers.Remove(u.Subscription.Value), Pending = Pending.Remove(u.Subscription.Value) };
            case RealtimeFanOutScheduled s:
            {
                var pending = Pending;
                foreach (var sub in s.Subscriptions)
                {
                    pending = pending.SetItem(sub.Value, new PendingRealtimeDelivery(sub, s.DeliveryId, s.Actor, 0));
                }
                return this with { Pending = pending, NextDeliveryId = Math.Max(NextDeliveryId, s.DeliveryId + 1) };
            }
            case RealtimeFanOutDelivered or RealtimeFanOutAbandoned:
            {
                var (sub, id) = e is RealtimeFanOutDelivered d ? (d.Subscription, d.DeliveryId) : (((RealtimeFanOutAbandoned)e).Subscription, ((RealtimeFanOutAbandoned)e).DeliveryId);
                return Pending.TryGetValue(sub.Value, out var p) && p.DeliveryId == id ? this with { Pending = Pending.Remove(sub.Value) } : this;
            }
            default:
                // Rollout plans, waves and follower labels (issue 14.2) keep their own state.
                return this with { Rollouts = (Rollouts ?? Sower.Messages.Rollouts.SeedLineRollouts.Empty).Apply(e) };
        }
    }

    /// <summary>Counts one more delivery attempt (not persisted: a restart grants fresh attempts, which at-least-once allows).</summary>
    public SeedLineState WithAttempt(SubscriptionId sub) =>
        Pending.TryGetValue(sub.Value, out var p) ? this with { Pending = Pending.SetItem(sub.Value, p with { Attempts = p.Attempts + 1 }) } : this;

    /// <summary>Events for a seed update; fan-out only to followers whose policy admits realtime and whose rules match it (REFERENCE §6.8).</summary>
    public ImmutableArray<ISeedLineEvent> Decide(SetSeedInLine cmd)
    {
        var existing = Find(cmd.Seed.Sid);
        if (existing is not null && existing.Version >= cmd.Version) return [];
        var events = ImmutableArray.CreateBuilder<ISeedLineEvent>();
        events.Add(new SeedLineEntrySet(cmd.Line, cmd.Seed, cmd.Version));
        // A claimed legacy report was retired here (possibly with a planted future recency): it fans out like a new seed.
        var recencyRose = existing is null || cmd.Seed.Recency > existing.Seed.Recency || existing.Seed.Withdrawn;
        if (cmd.FanOut && recencyRose && !cmd.Seed.Withdrawn)
        {
            var targets = Followers.Values
                .Where(f => f.Realtime && SeedMatching.Matches(cmd.Seed.Name, cmd.Seed.Type, cmd.Seed.Tags, cmd.Seed.Withdrawn, cmd.Line.Name, cmd.Line.Type, f.Rules))
                .Select(f => f.Subscription)
                .OrderBy(s => s.Value, StringComparer.Ordinal)
                .ToImmutableArray();
            if (!targets.IsEmpty)
            {
                events.Add(new RealtimeFanOutScheduled(cmd.Line, cmd.Seed.Sid, cmd.Seed.RegisteredBy, targets, NextDeliveryId));
            }
        }
        return events.ToImmutable();
    }

    public ImmutableArray<ISeedLineEvent> Decide(FollowSeedLine cmd)
    {
        var follower = new SeedLineFollower(cmd.Garden, cmd.Subscription, cmd.Rules, cmd.Realtime);
        return Followers.TryGetValue(cmd.Subscription.Value, out var existing) && SameFollower(existing, follower)
            ? []
            : [new SeedLineFollowed(cmd.Line, cmd.Garden, cmd.Subscription, cmd.Rules, cmd.Realtime)];
    }

    private static bool SameFollower(SeedLineFollower a, SeedLineFollower b) =>
        a.Garden == b.Garden && a.Subscription == b.Subscription && a.Realtime == b.Realtime && a.Rules.SequenceEqual(b.Rules);
}

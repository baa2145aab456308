using System.Collections.Immutable;
using NodaTime;
using Sower.Actors.Server.Projections;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;

namespace Sower.Server.Ui.Services;

/// <summary>A subscription whose newer seed is waiting because the policy does not allow it right now.</summary>
/// <param name="NextWindow">When it can next go out by itself: the first scheduled run the policy allows, or (realtime only)
/// when the realtime window opens, after which it still needs a deploy by hand because nothing re-fires.</param>
public sealed record HeldSubscription(GardenState Garden, SubscriptionRecord Subscription, SeedInfo Seed, Trigger Trigger, Instant? NextWindow);

public sealed record GardenFlag(GardenState Garden, string Reason);

public sealed record OverviewFigures(
    int GardensOnline,
    int GardensOffline,
    ImmutableArray<DeploymentRecord> InFlight,
    ImmutableArray<DeploymentRecord> AwaitingApproval,
    ImmutableArray<DeploymentRecord> FailedLastDay,
    ImmutableArray<HeldSubscription> Held,
    ImmutableArray<GardenFlag> Flags);

/// <summary>Pure questions the pages ask of the read model, with the same predicates the server uses (matching, retry).</summary>
public static class ConsoleQueries
{
    /// <summary>How many failures in a row flag a garden as repeatedly failing.</summary>
    public const int RepeatedFailures = 2;

    public static IEnumerable<GardenState> Gardens(ServerReadModel model) =>
        model.Gardens.Values.Where(g => g.Exists).OrderBy(g => g.Registration!.Name, StringComparer.Ordinal).ThenBy(g => g.Sid.Value, StringComparer.Ordinal);

    public static string GardenName(ServerReadModel model, GardenId garden) =>
        model.Gardens.GetValueOrDefault(garden.Value)?.Registration?.Name ?? garden.Value;

    public static IEnumerable<SeedInfo> Seeds(ServerReadModel model) => model.Seeds.Values.Select(s => s.Seed).OfType<SeedInfo>();

    public static SeedInfo? Seed(ServerReadModel model, SeedId sid) => model.Seeds.GetValueOrDefault(sid.Value)?.Seed;

    public static IEnumerable<DeploymentRecord> DeploymentsOf(ServerReadModel model, GardenId garden) =>
        model.Deployments.Values.Where(d => d.Garden == garden).OrderByDescending(d => d.CreatedAt);

    /// <summary>REFERENCE §2: the matching seed with the greatest recency, ties to the one created last.</summary>
    public static SeedInfo? LatestMatching(ServerReadModel model, SubscriptionRecord subscription) =>
        Matching(model, subscription).FirstOrDefault();

    /// <summary>Every seed that matches the subscription, latest first.</summary>
    public static IEnumerable<SeedInfo> Matching(ServerReadModel model, SubscriptionRecord subscription) =>
        Seeds(model)
            .Where(s => SeedMatching.Matches(s.Name, s.Type, s.Tags, s.Withdrawn, subscription.Spec.SeedName, subscription.Spec.SeedType, subscription.Spec.Rules))
            .OrderByDescending(s => s.Recency).ThenByDescending(s => s.CreatedAt);

    /// <summary>Reverse matching (REFERENCE §2), with the same predicate.</summary>
    public static IEnumerable<SubscriptionRecord> SubscriptionsMatching(ServerReadModel model, SeedInfo seed) =>
        model.Gardens.Values.Where(g => g.Exists).SelectMany(g => g.Subscriptions.Values)
            .Where(s => SeedMatching.Matches(seed.Name, seed.Type, seed.Tags, seed.Withdrawn, s.Spec.SeedName, s.Spec.SeedType, s.Spec.Rules))
            .OrderBy(s => s.Spec.Name, StringComparer.Ordinal);

    /// <summary>What the garden runs for this subscription: its current generation of a seed of that name and type, else the
    /// seed of the latest successful deployment for the subscription.</summary>
    public static SeedInfo? CurrentSeed(ServerReadModel model, GardenState garden, SubscriptionRecord subscription)
    {
        foreach (var row in garden.Generations.Where(g => g.IsCurrent))
        {
            if (Seed(model, row.Seed) is { } seed && seed.Name == subscription.Spec.SeedName && seed.Type == subscription.Spec.SeedType) return seed;
        }
        return DeploymentsOf(model, garden.Sid)
            .Where(d => d.State == DeploymentState.Completed && d.Result is { } r && r.IsApplied())
            .SelectMany(d => d.Seeds.Where(s => s.Subscription == subscription.Sid && s.Result != SeedResult.Failure).Select(s => s.Seed))
            .FirstOrDefault();
    }

    /// <summary>
    /// A matching seed's status for a subscription (REFERENCE §6.16): "active" (what the garden runs) &gt; "pending" (the newest
    /// matching seed, newer than the last success) &gt; "deployed" (its latest deployment here succeeded) &gt; null.
    /// </summary>
    public static string? SeedStatus(ServerReadModel model, GardenState garden, SubscriptionRecord subscription, SeedInfo seed)
    {
        if (CurrentSeed(model, garden, subscription)?.Sid == seed.Sid) return "active";
        var mine = DeploymentsOf(model, garden.Sid).Where(d => d.Seeds.Any(s => s.Subscription == subscription.Sid)).ToList();
        var lastSuccess = mine.Where(d => d.State == DeploymentState.Completed && d.Result is { } r && r.IsApplied()).Select(d => d.DeployedAt).Max();
        if (LatestMatching(model, subscription)?.Sid == seed.Sid && (lastSuccess is null || seed.Recency > lastSuccess)) return "pending";
        var latestOfSeed = mine.FirstOrDefault(d => d.Seeds.Any(s => s.Seed.Sid == seed.Sid));
        return latestOfSeed is { State: DeploymentState.Completed, Result: DeploymentResult.Success or DeploymentResult.Warning } ? "deployed" : null;
    }

    /// <summary>The gardens on which the seed is the current generation.</summary>
    public static IEnumerable<GardenState> GardensRunning(ServerReadModel model, SeedId seed) =>
        Gardens(model).Where(g => g.Generations.Any(row => row.IsCurrent && row.Seed == seed));

    public static IEnumerable<DeploymentRecord> DeploymentsOfSeed(ServerReadModel model, SeedId seed) =>
        model.Deployments.Values.Where(d => d.Seeds.Any(s => s.Seed.Sid == seed)).OrderByDescending(d => d.CreatedAt);

    /// <summary>REFERENCE §6.10, the same rule as the server's planner: completed (any result), stale or canceled, and no
    /// retry child still unresolved or awaiting approval.</summary>
    public static bool CanRetry(ServerReadModel model, DeploymentRecord deployment) =>
        deployment.State is DeploymentState.Completed or DeploymentState.Stale or DeploymentState.Canceled
        && !model.Deployments.Values.Any(c => c.Parent == deployment.Sid && (c.State.IsUnresolved() || c.State == DeploymentState.AwaitingApproval));

    /// <summary>When an approval lapses (REFERENCE §6.9: canceled as expired after approval_expiry_seconds).</summary>
    public static Instant ApprovalExpires(DeploymentRecord deployment, Duration expiry) =>
        (deployment.Events.LastOrDefault(e => e.Type == "approval_requested")?.At ?? deployment.CreatedAt) + expiry;

    public static OverviewFigures Overview(ServerReadModel model, Instant now, Duration staleAfter)
    {
        var gardens = Gardens(model).ToList();
        var online = gardens.Count(g => model.IsOnline(g.Sid));
        var deployments = model.Deployments.Values.OrderByDescending(d => d.CreatedAt).ToList();
        var dayAgo = now - Duration.FromHours(24);
        var failed = deployments.Where(d => (d.Result is DeploymentResult.Failure or DeploymentResult.Partial or DeploymentResult.RolledBack || d.State == DeploymentState.Stale)
                                            && (d.DeployedAt ?? d.CreatedAt) >= dayAgo).ToImmutableArray();
        return new OverviewFigures(online, gardens.Count - online,
            [.. deployments.Where(d => d.State.IsUnresolved())],
            [.. deployments.Where(d => d.State == DeploymentState.AwaitingApproval)],
            failed, Held(model, now), Flags(model, gardens, now, staleAfter));
    }

    /// <summary>
    /// Subscriptions with a newer matching seed than the one the garden runs, nothing on its way, and a policy that does not
    /// allow the automatic trigger (realtime when enabled, else scheduled) right now; with the instant that answer next changes.
    /// </summary>
    public static ImmutableArray<HeldSubscription> Held(ServerReadModel model, Instant now)
    {
        var held = ImmutableArray.CreateBuilder<HeldSubscription>();
        foreach (var garden in Gardens(model))
        {
            var open = DeploymentsOf(model, garden.Sid)
                .Where(d => d.State.IsUnresolved() || d.State == DeploymentState.AwaitingApproval)
                .SelectMany(d => d.Subscriptions).ToHashSet();
            foreach (var sub in garden.Subscriptions.Values.OrderBy(s => s.Spec.Name, StringComparer.Ordinal))
            {
                if (open.Contains(sub.Sid)) continue;
                var latest = LatestMatching(model, sub);
                if (latest is null || CurrentSeed(model, garden, sub)?.Sid == latest.Sid) continue;
                var schedule = CronSchedule.TryParse(sub.Spec.Schedule, out var parsed, out _) && parsed is { IsReboot: false } ? parsed : null;
                if (!sub.Realtime && schedule is null) continue; // nothing automatic would deploy it: pending, not held
                if (sub.Realtime && PolicyEvaluator.Evaluate(sub.Spec.Policy, Trigger.Realtime, now, latest.Type, sub.Zone).Kind != DecisionKind.Deny) continue;
                if (schedule is not null)
                {
                    // The schedule decides when it asks, the policy what that ask may do then (REFERENCE §4.8).
                    var allowedRun = schedule.Between(now, now + PolicyExplainer.Horizon, sub.Zone, 500)
                        .FirstOrDefault(at => PolicyEvaluator.Evaluate(sub.Spec.Policy, Trigger.Scheduled, at, latest.Type, sub.Zone).Kind != DecisionKind.Deny);
                    if (allowedRun == default && !sub.Realtime)
                    {
                        held.Add(new HeldSubscription(garden, sub, latest, Trigger.Scheduled, null));
                        continue;
                    }
                    if (allowedRun != default)
                    {
                        held.Add(new HeldSubscription(garden, sub, latest, Trigger.Scheduled, allowedRun));
                        continue;
                    }
                }
                held.Add(new HeldSubscription(garden, sub, latest, Trigger.Realtime,
                    PolicyExplainer.NextChange(sub.Spec.Policy, Trigger.Realtime, latest.Type, sub.Zone, now)));
            }
        }
        return held.ToImmutable();
    }

    /// <summary>Gardens an operator should look at: offline longer than the stale threshold, failing repeatedly, waiting for a reboot, or drifted.</summary>
    public static ImmutableArray<GardenFlag> Flags(ServerReadModel model, IEnumerable<GardenState> gardens, Instant now, Duration staleAfter)
    {
        var flags = ImmutableArray.CreateBuilder<GardenFlag>();
        foreach (var garden in gardens)
        {
            if (!model.IsOnline(garden.Sid) && (garden.LastSeen ?? garden.Registration!.RegisteredAt) <= now - staleAfter)
            {
                flags.Add(new GardenFlag(garden, "stale: not seen for " + BrowserZone.Relative(garden.LastSeen ?? garden.Registration!.RegisteredAt, now).Replace(" ago", "")));
            }
            var failures = DeploymentsOf(model, garden.Sid)
                .Where(d => d.State is DeploymentState.Completed or DeploymentState.Stale)
                .TakeWhile(d => d.Result is DeploymentResult.Failure or DeploymentResult.Partial or DeploymentResult.RolledBack)
                .Count();
            if (failures >= RepeatedFailures) flags.Add(new GardenFlag(garden, $"failing: the last {failures} deployments failed"));
            if (garden.Condition?.RebootPending is { } pending) flags.Add(new GardenFlag(garden, $"reboot pending: {pending.Reason.Replace('_', ' ')}, the new system waits for the next boot"));
            if (garden.Condition?.Drift is { } drift) flags.Add(new GardenFlag(garden, $"drifted: {drift.Detail}"));
        }
        return flags.ToImmutable();
    }
}

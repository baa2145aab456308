using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;

namespace Sower.Messages.Gardens;

/// <summary>Input of the common creation algorithm (REFERENCE §6.4 Create).</summary>
public sealed record CreationRequest(
    RequestId RequestId,
    ImmutableArray<SubscriptionId> Subscriptions,
    Trigger Trigger,
    AuditReason Reason,
    Actor Actor,
    bool Force,
    SeedInfo? ExplicitSeed) : ISowerSerializable;

public abstract record CreationOutcome
{
    public sealed record Failed(string Code, string Message) : CreationOutcome;

    /// <summary>An identical deployment exists. RePush: force met an unresolved twin, which is pushed again instead of skipped.</summary>
    public sealed record Duplicate(DeploymentSummary Existing, bool RePush) : CreationOutcome;

    public sealed record Planned(DeploymentRecord Deployment, ImmutableArray<(DeploymentId Sid, CancelReason Reason)> Cancellations) : CreationOutcome;
}

/// <summary>The creation, retry and reconnect algorithms of REFERENCE §6.4, §6.7, §6.10 as pure functions over a garden's state.</summary>
public static class DeploymentPlanner
{
    public const string SeedsNotFound = "seeds_not_found";
    public const string PolicyDenied = "policy_denied";
    public const string SeedNotMatching = "seed_not_matching";
    public const string SubscriptionNotFound = "subscription_not_found";

    /// <summary>Which seed lines must be asked for their latest matching seed (every subscription without an explicit seed).</summary>
    public static ImmutableArray<SubscriptionRecord> NeedsResolution(GardenState state, CreationRequest request) =>
        request.ExplicitSeed is not null
            ? []
            : request.Subscriptions.Select(state.FindSubscription).OfType<SubscriptionRecord>().ToImmutableArray();

    public static CreationOutcome Plan(GardenState state, CreationRequest request, IReadOnlyDictionary<SubscriptionId, SeedInfo?> latest,
        Instant now, DeploymentId newId)
    {
        // Step 1: every subscription belongs to the garden; one seed per subscription.
        var resolved = new List<(SubscriptionRecord Sub, SeedInfo Seed)>();
        foreach (var sid in request.Subscriptions.Distinct())
        {
            var sub = state.FindSubscription(sid);
            if (sub is null) return new CreationOutcome.Failed(SubscriptionNotFound, "subscription not found");
            if (request.ExplicitSeed is { } explicitSeed)
            {
                if (!SeedMatching.Matches(explicitSeed.Name, explicitSeed.Type, explicitSeed.Tags, explicitSeed.Withdrawn,
                        sub.Spec.SeedName, sub.Spec.SeedType, sub.Spec.Rules))
                {
                    return new CreationOutcome.Failed(SeedNotMatching, "Seed does not match subscription");
                }
                resolved.Add((sub, explicitSeed));
            }
            else if (latest.GetValueOrDefault(sid) is { } seed)
            {
                resolved.Add((sub, seed));
            }
        }
        if (resolved.Count == 0) return new CreationOutcome.Failed(SeedsNotFound, "no matching seeds");

        // Step 2: the policy of each subscription with the trigger; denied ones are dropped.
        var planned = ImmutableArray.CreateBuilder<PlannedSeed>();
        var confirmRules = ImmutableArray.CreateBuilder<string>();
        var awaiting = false;
        foreach (var (sub, seed) in resolved)
        {
            // A forced recall acts now: its rules count regardless of their windows (issue 16.2); confirmation still applies.
            var policy = request.Force && request.Trigger == Trigger.Recall ? PolicyEvaluator.WithoutWindows(sub.Spec.Policy) : sub.Spec.Policy;
            var decision = PolicyEvaluator.Evaluate(policy, request.Trigger, now, seed.Type, sub.Zone);
            if (decision.Kind == DecisionKind.Deny || decision.Action is null) continue;
            if (decision.Kind == DecisionKind.Confirm) { awaiting = true; confirmRules.AddRange(decision.MatchedRules); }
            planned.Add(new PlannedSeed(sub.Sid, sub.Spec.Name, decision.Action.Value, seed));
        }
        if (planned.Count == 0) return new CreationOutcome.Failed(PolicyDenied, "Denied by policy");
        var seeds = planned.ToImmutable();

        // Step 3 and 4: content hash and duplicate suppression by executed action.
        var hash = ContentHash.Of(seeds.Select(s => s.Seed.Sid));
        var twins = state.Deployments.Values.Where(d => d.ContentHash == hash).OrderByDescending(d => d.CreatedAt).ToList();
        var open = twins.FirstOrDefault(d => d.State.IsUnresolved() || d.State == DeploymentState.AwaitingApproval);
        if (open is not null) return new CreationOutcome.Duplicate(open, RePush: request.Force && open.State.IsUnresolved());
        if (!request.Force)
        {
            // Issue 16.3: a twin that once was applied is a duplicate only while the garden still runs it. After a newer seed
            // was deployed to any of these subscriptions, deploying this one again is a rollback, never a no-op.
            var applied = twins.FirstOrDefault(d => d.State == DeploymentState.Completed && d.Result is { } r && r.IsApplied() && CoversAll(d, seeds)
                                                    && seeds.All(s => RunningDeployment(state, s.Subscription)?.Sid == d.Sid));
            if (applied is not null) return new CreationOutcome.Duplicate(applied, RePush: false);
        }

        // Step 5: the new deployment, and what it cancels.
        var record = NewRecord(newId, state.Sid, request.RequestId, request.Trigger, request.Reason, request.Actor, hash, now, awaiting,
            confirmRules.Distinct().ToImmutableArray(), seeds, parent: null, retryOrdinal: 0);
        return new CreationOutcome.Planned(record, Cancellations(state, record));
    }

    /// <summary>
    /// The deployment whose seed this subscription runs now, as far as the server knows: the newest completed one (by the time
    /// it was deployed) that executed an action for the subscription. Null when none ever did.
    /// </summary>
    public static DeploymentSummary? RunningDeployment(GardenState state, SubscriptionId subscription) =>
        state.Deployments.Values
            .Where(d => d.State == DeploymentState.Completed && Executed(d, subscription))
            .OrderByDescending(d => d.DeployedAt ?? d.LastDispatchedAt).ThenByDescending(d => d.CreatedAt)
            .FirstOrDefault();

    /// <summary>What a subscription ran before a recalled seed (issue 16.2): the seed of its newest completed deployment that
    /// executed something for it and carried neither the recalled seed nor a withdrawn one. Null when there is none.</summary>
    public static SeedInfo? RanBefore(GardenState state, SubscriptionId subscription, SeedId recalled) =>
        state.Deployments.Values
            .Where(d => d.State == DeploymentState.Completed && Executed(d, subscription))
            .OrderByDescending(d => d.DeployedAt ?? d.LastDispatchedAt).ThenByDescending(d => d.CreatedAt)
            .Select(d => d.Seeds.First(s => s.Subscription == subscription).Seed)
            .FirstOrDefault(s => s.Sid != recalled && !s.Withdrawn);

    private static bool Executed(DeploymentSummary d, SubscriptionId subscription)
    {
        // A rolled-back deployment switched and then went back: the host does not run its seed.
        if (d.Result == DeploymentResult.RolledBack) return false;
        for (var i = 0; i < d.Seeds.Length && i < d.Executed.Length; i++)
        {
            if (d.Seeds[i].Subscription == subscription && d.Executed[i] != ExecutedAction.None) return true;
        }
        return false;
    }

    private static bool CoversAll(DeploymentSummary done, ImmutableArray<PlannedSeed> now)
    {
        foreach (var seed in now)
        {
            var index = done.Seeds.IndexOf(done.Seeds.FirstOrDefault(s => s.Seed.Sid == seed.Seed.Sid)!);
            if (index < 0 || index >= done.Executed.Length || !done.Executed[index].Covers(seed.Action)) return false;
        }
        return true;
    }

    /// <summary>Step 5: this subscription set's stale deployments (canceled/stale) and older dispatched or awaiting ones it covers (superseded).</summary>
    public static ImmutableArray<(DeploymentId Sid, CancelReason Reason)> Cancellations(GardenState state, DeploymentRecord created)
    {
        var covered = created.Seeds.Select(s => s.Subscription.Value).ToImmutableHashSet(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<(DeploymentId, CancelReason)>();
        foreach (var d in state.Deployments.Values.OrderBy(d => d.CreatedAt))
        {
            if (d.Sid == created.Sid) continue;
            var subs = d.SubscriptionSet;
            if (d.State == DeploymentState.Stale && subs.SetEquals(covered)) result.Add((d.Sid, CancelReason.Stale));
            else if (d.State is DeploymentState.Dispatched or DeploymentState.AwaitingApproval && subs.IsSubsetOf(covered))
            {
                result.Add((d.Sid, CancelReason.Superseded));
            }
        }
        return result.ToImmutable();
    }

    public static DeploymentRecord NewRecord(DeploymentId sid, GardenId garden, RequestId requestId, Trigger trigger, AuditReason reason, Actor actor,
        string hash, Instant now, bool awaiting, ImmutableArray<string> confirmRules, ImmutableArray<PlannedSeed> seeds, DeploymentId? parent, int retryOrdinal)
    {
        var events = ImmutableArray.CreateBuilder<DeploymentAuditEvent>();
        events.Add(new DeploymentAuditEvent("created", reason.ToWire(), actor, now, null));
        if (awaiting)
        {
            events.Add(new DeploymentAuditEvent("approval_requested", reason.ToWire(), actor, now,
                confirmRules.IsEmpty ? null : "confirmation required by " + string.Join(", ", confirmRules)));
        }
        return new DeploymentRecord(sid, garden, awaiting ? DeploymentState.AwaitingApproval : DeploymentState.Dispatched, null, trigger, reason,
            false, hash, requestId, now, now, null, parent, retryOrdinal, confirmRules,
            seeds.Select(s => new SeedDeployment(s.Subscription, s.SubscriptionName, s.Seed, s.Action, null, SeedDeploymentState.Pending, null, ""))
                .ToImmutableArray(),
            events.ToImmutable());
    }

    /// <summary>REFERENCE §6.10: retry a completed, stale or canceled deployment as a linked child, policy evaluated again as manual.</summary>
    public static CreationOutcome Retry(GardenState state, DeploymentId original, Actor actor, Instant now, DeploymentId newId, RequestId requestId)
    {
        var parent = state.FindDeployment(original);
        if (parent is null) return new CreationOutcome.Failed(DeploymentEntityState.NotFound, "deployment not found");
        if (parent.State is not (DeploymentState.Completed or DeploymentState.Stale or DeploymentState.Canceled))
        {
            return new CreationOutcome.Failed(DeploymentEntityState.InvalidState, "only completed, stale or canceled deployments can be retried");
        }
        var children = state.Deployments.Values.Where(d => d.Parent == original).ToList();
        if (children.Any(c => c.State.IsUnresolved() || c.State == DeploymentState.AwaitingApproval))
        {
            return new CreationOutcome.Failed("retry_in_progress", "a retry of this deployment is still in progress");
        }
        var seeds = ImmutableArray.CreateBuilder<PlannedSeed>();
        var confirmRules = ImmutableArray.CreateBuilder<string>();
        var awaiting = false;
        foreach (var seed in parent.Seeds)
        {
            var sub = state.FindSubscription(seed.Subscription);
            if (sub is null) return new CreationOutcome.Failed(SubscriptionNotFound, "subscription not found");
            var decision = PolicyEvaluator.Evaluate(sub.Spec.Policy, Trigger.Manual, now, seed.Seed.Type, sub.Zone);
            if (decision.Kind == DecisionKind.Deny || decision.Action is null) return new CreationOutcome.Failed(PolicyDenied, "Denied by policy");
            if (decision.Kind == DecisionKind.Confirm) { awaiting = true; confirmRules.AddRange(decision.MatchedRules); }
            seeds.Add(seed with { Action = decision.Action.Value, SubscriptionName = sub.Spec.Name });
        }
        var ordinal = children.Count == 0 ? 1 : children.Max(c => c.RetryOrdinal) + 1;
        var planned = seeds.ToImmutable();
        var record = NewRecord(newId, state.Sid, requestId, Trigger.Manual, AuditReason.UserRetry, actor, ContentHash.Of(planned.Select(s => s.Seed.Sid)),
            now, awaiting, confirmRules.Distinct().ToImmutableArray(), planned, original, ordinal);
        return new CreationOutcome.Planned(record, []);
    }

    /// <summary>REFERENCE §6.7 step 1: subscriptions whose most recent fire time at or before now has no successful deployment since.</summary>
    public static ImmutableArray<SubscriptionRecord> OverdueSubscriptions(GardenState state, Instant now, Action<string>? warn = null)
    {
        var overdue = ImmutableArray.CreateBuilder<SubscriptionRecord>();
        foreach (var sub in state.Subscriptions.Values.OrderBy(s => s.Spec.Name, StringComparer.Ordinal))
        {
            if (string.IsNullOrWhiteSpace(sub.Spec.Schedule)) continue;
            if (!CronSchedule.TryParse(sub.Spec.Schedule, out var schedule, out var error) || schedule is null)
            {
                warn?.Invoke($"subscription {sub.Sid} has an unparsable schedule \"{sub.Spec.Schedule}\": {error}");
                continue;
            }
            if (schedule.IsReboot) continue;
            var fire = schedule.LatestAtOrBefore(now, sub.Zone);
            if (fire is null) continue;
            var success = state.LatestSuccess(sub.Sid);
            if (success is null || success < fire) overdue.Add(sub);
        }
        return overdue.ToImmutable();
    }

    public enum ReplayStep { Supersede, Redispatch }

    /// <summary>REFERENCE §6.7 step 3: unresolved deployments oldest dispatch first; superseded only when a newer one covers all their subscriptions.</summary>
    public static ImmutableArray<(DeploymentSummary Deployment, ReplayStep Step)> Replay(GardenState state)
    {
        var steps = ImmutableArray.CreateBuilder<(DeploymentSummary, ReplayStep)>();
        foreach (var d in state.Deployments.Values.Where(d => d.State.IsUnresolved()).OrderBy(d => d.LastDispatchedAt).ThenBy(d => d.CreatedAt))
        {
            var subs = d.SubscriptionSet;
            var replaced = state.Deployments.Values.Any(n => n.Sid != d.Sid && n.CreatedAt > d.CreatedAt
                && n.State is not (DeploymentState.Canceled or DeploymentState.Stale) && subs.IsSubsetOf(n.SubscriptionSet));
            steps.Add((d, replaced ? ReplayStep.Supersede : ReplayStep.Redispatch));
        }
        return steps.ToImmutable();
    }
}

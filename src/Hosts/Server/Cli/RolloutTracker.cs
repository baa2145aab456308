using System.Collections.Immutable;
using System.Text.Json.Nodes;
using NodaTime;
using Sower.Actors.Server.Projections;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Rollouts;
using Sower.Messages.Seeds;
using Sower.Server.Api;

namespace Sower.Server.Cli;

/// <summary>One subscription a submitted seed matched, and what the realtime policy says about it right now.</summary>
public sealed record RolloutMatch(GardenId Garden, string? GardenName, SubscriptionId Subscription, string SubscriptionName, string Decision,
    PolicyAction? Action, ImmutableArray<string> MatchedRules, Instant? NextChange, string Reason, bool AlreadyRunning = false)
{
    /// <summary>A deployment is expected: the policy allows realtime now, or asks for confirmation, and the subscription does
    /// not already run the seed (then the garden's duplicate check creates nothing: issue 16.3).</summary>
    public bool ExpectsDeployment => !AlreadyRunning && Decision is "allow" or "confirm";
}

/// <summary>
/// Turns read-model snapshots into the rollout events `sower seed submit --wait` and `sower deployment follow` print:
/// which subscriptions a seed matched (evaluated with the same pure matching and policy functions the server and
/// gardens use), then each deployment's state changes and new log lines. It only remembers what it already reported.
/// </summary>
public sealed class RolloutTracker
{
    private readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), int> _logLengths = new();

    /// <summary>Every subscription of every garden the seed matches (REFERENCE §2), with the realtime decision now.</summary>
    public static ImmutableArray<RolloutMatch> Match(ServerReadModel model, SeedInfo seed, Instant now)
    {
        var matches = ImmutableArray.CreateBuilder<RolloutMatch>();
        foreach (var garden in model.Gardens.Values.Where(g => g.Exists).OrderBy(g => g.Registration!.Name, StringComparer.Ordinal))
        {
            foreach (var sub in garden.Subscriptions.Values.OrderBy(s => s.Spec.Name, StringComparer.Ordinal))
            {
                var spec = sub.Spec;
                if (!SeedMatching.Matches(seed.Name, seed.Type, seed.Tags, seed.Withdrawn, spec.SeedName, spec.SeedType, spec.Rules)) continue;
                if (!sub.Realtime)
                {
                    matches.Add(new RolloutMatch(garden.Sid, garden.Registration!.Name, sub.Sid, spec.Name, "not_realtime", null, [], null,
                        "its policy has no realtime trigger: the garden takes the seed on its schedule, on connect or when deployed by hand"));
                    continue;
                }
                var explained = PolicyExplainer.Explain(spec.Policy, Trigger.Realtime, seed.Type, sub.Zone, now);
                var decision = explained.Decision!;
                var reason = decision.Kind switch
                {
                    DecisionKind.Allow => $"policy allows {decision.Action?.ToWire()} now (rule {string.Join(", ", decision.MatchedRules)})",
                    DecisionKind.Confirm => $"policy requires approval for {decision.Action?.ToWire()} (rule {string.Join(", ", decision.MatchedRules)})",
                    _ => explained.NextChange is { } next
                        ? $"held by policy: realtime is outside every window now; next window opens {ApiWire.Time(next)}"
                        : "held by policy: no rule allows realtime deployment",
                };
                var running = RunningSeed(model, sub.Sid) == seed.Sid && decision.Kind != DecisionKind.Deny;
                if (running) reason = "it already runs this seed: nothing to deploy";
                matches.Add(new RolloutMatch(garden.Sid, garden.Registration!.Name, sub.Sid, spec.Name, decision.Kind.ToWire(), decision.Action,
                    decision.MatchedRules, decision.Kind == DecisionKind.Deny ? explained.NextChange : null, reason, running));
            }
        }
        return matches.ToImmutable();
    }

    /// <summary>
    /// The subscriptions a recall must move (issue 16.2): those whose running seed (RunningSeed) is the recalled one, with the
    /// policy's decision for trigger recall now (forced: regardless of windows).
    /// </summary>
    public static ImmutableArray<RolloutMatch> MatchRecall(ServerReadModel model, SeedInfo seed, bool force, Instant now)
    {
        var matches = ImmutableArray.CreateBuilder<RolloutMatch>();
        foreach (var garden in model.Gardens.Values.Where(g => g.Exists).OrderBy(g => g.Registration!.Name, StringComparer.Ordinal))
        {
            foreach (var sub in garden.Subscriptions.Values.OrderBy(s => s.Spec.Name, StringComparer.Ordinal))
            {
                if (RunningSeed(model, sub.Sid) != seed.Sid) continue;
                var policy = force ? PolicyEvaluator.WithoutWindows(sub.Spec.Policy) : sub.Spec.Policy;
                var explained = PolicyExplainer.Explain(policy, Trigger.Recall, seed.Type, sub.Zone, now);
                var decision = explained.Decision!;
                var reason = decision.Kind switch
                {
                    DecisionKind.Allow => $"it runs the recalled seed; policy allows {decision.Action?.ToWire()} for recall now (rule {string.Join(", ", decision.MatchedRules)})",
                    DecisionKind.Confirm => $"it runs the recalled seed; policy requires approval for {decision.Action?.ToWire()} (rule {string.Join(", ", decision.MatchedRules)})",
                    _ => explained.NextChange is { } next
                        ? $"held by policy: recall is outside every window now (next window opens {ApiWire.Time(next)}); --force acts regardless of windows"
                        : "held by policy: no rule allows the recall trigger; the subscription moves on its next allowed trigger",
                };
                matches.Add(new RolloutMatch(garden.Sid, garden.Registration!.Name, sub.Sid, sub.Spec.Name, decision.Kind.ToWire(), decision.Action,
                    decision.MatchedRules, decision.Kind == DecisionKind.Deny ? explained.NextChange : null, reason));
            }
        }
        return matches.ToImmutable();
    }

    /// <summary>The newest recall-triggered deployment of a subscription created after the request (not one of <paramref name="older"/>).</summary>
    public static DeploymentRecord? RecallDeploymentFor(ServerReadModel model, SubscriptionId subscription, IReadOnlySet<string> older) =>
        model.Deployments.Values
            .Where(d => !older.Contains(d.Sid.Value) && d.Trigger == Trigger.Recall && d.Seeds.Any(s => s.Subscription == subscription))
            .MaxBy(d => d.CreatedAt);

    public static JsonObject MatchEvent(RolloutMatch m) => new()
    {
        ["kind"] = "matched",
        ["garden_sid"] = m.Garden.Value,
        ["garden_name"] = m.GardenName,
        ["subscription_sid"] = m.Subscription.Value,
        ["subscription_name"] = m.SubscriptionName,
        ["decision"] = m.Decision,
        ["action"] = m.Action?.ToWire(),
        ["matched_rules"] = new JsonArray([.. m.MatchedRules.Select(r => (JsonNode?)r)]),
        ["next_window"] = m.NextChange is { } n ? ApiWire.Time(n) : null,
        ["reason"] = m.Reason,
        ["already_running"] = m.AlreadyRunning,
    };

    /// <summary>
    /// The newest deployment that carries this seed for this subscription and is not one of <paramref name="older"/> (the
    /// deployments that existed before the request): a rollout follows only what its own request created (issue 16.3).
    /// </summary>
    public static DeploymentRecord? DeploymentFor(ServerReadModel model, SubscriptionId subscription, SeedId seed, IReadOnlySet<string>? older = null) =>
        model.Deployments.Values
            .Where(d => older?.Contains(d.Sid.Value) != true && d.Seeds.Any(s => s.Subscription == subscription && s.Seed.Sid == seed))
            .MaxBy(d => d.CreatedAt);

    /// <summary>The seed a subscription runs now as far as the server knows: that of its newest completed deployment that executed
    /// something for it (the same rule as the garden's duplicate check, DeploymentPlanner.RunningDeployment).</summary>
    public static SeedId? RunningSeed(ServerReadModel model, SubscriptionId subscription) =>
        model.Deployments.Values
            .Where(d => d.State == DeploymentState.Completed
                        && d.Seeds.Any(s => s.Subscription == subscription && (s.Executed ?? ExecutedAction.None) != ExecutedAction.None))
            .OrderByDescending(d => d.DeployedAt ?? d.LastDispatchedAt).ThenByDescending(d => d.CreatedAt)
            .FirstOrDefault()?.Seeds.First(s => s.Subscription == subscription && (s.Executed ?? ExecutedAction.None) != ExecutedAction.None).Seed.Sid;

    public static bool IsSettled(DeploymentRecord d, bool stopAtApproval) =>
        d.State is DeploymentState.Completed or DeploymentState.Stale or DeploymentState.Canceled
        || (stopAtApproval && d.State == DeploymentState.AwaitingApproval);

    /// <summary>Events for what changed in this deployment since it was last reported: a snapshot, then new log lines.</summary>
    public IEnumerable<JsonObject> Changes(ServerReadModel model, DeploymentRecord d)
    {
        var snapshot = DeploymentEvent(model, d);
        var key = snapshot.ToJsonString();
        if (!_reported.TryGetValue(d.Sid.Value, out var previous) || previous != key)
        {
            _reported[d.Sid.Value] = key;
            yield return snapshot;
        }
        foreach (var seed in d.Seeds)
        {
            var seen = _logLengths.GetValueOrDefault((d.Sid.Value, seed.Seed.Sid.Value));
            if (seed.Log.Length <= seen) continue;
            _logLengths[(d.Sid.Value, seed.Seed.Sid.Value)] = seed.Log.Length;
            foreach (var line in seed.Log[seen..].Split('\n'))
            {
                if (line.Length == 0) continue;
                yield return new JsonObject
                {
                    ["kind"] = "log",
                    ["deployment_sid"] = d.Sid.Value,
                    ["seed_sid"] = seed.Seed.Sid.Value,
                    ["subscription_name"] = seed.SubscriptionName,
                    ["line"] = line,
                };
            }
        }
    }

    public static JsonObject DeploymentEvent(ServerReadModel model, DeploymentRecord d) => new()
    {
        ["kind"] = "deployment",
        ["deployment_sid"] = d.Sid.Value,
        ["garden_sid"] = d.Garden.Value,
        ["garden_name"] = model.Gardens.GetValueOrDefault(d.Garden.Value)?.Registration?.Name,
        ["garden_online"] = model.IsOnline(d.Garden),
        ["state"] = d.State.ToWire(),
        ["result"] = d.Result?.ToWire(),
        ["trigger"] = d.Trigger.ToWire(),
        ["approved"] = d.Approved,
        ["confirm_rules"] = new JsonArray([.. d.ConfirmRules.Select(r => (JsonNode?)r)]),
        ["seeds"] = new JsonArray([.. d.Seeds.Select(s => (JsonNode?)new JsonObject
        {
            ["subscription_sid"] = s.Subscription.Value,
            ["subscription_name"] = s.SubscriptionName,
            ["seed_sid"] = s.Seed.Sid.Value,
            ["action"] = s.Authorized.ToWire(),
            ["executed_action"] = s.Executed?.ToWire(),
            ["state"] = s.State.ToWire(),
            ["result"] = s.Result?.ToWire(),
        })]),
    };

    /// <summary>The closing summary of a seed rollout.</summary>
    public static JsonObject Summary(ImmutableArray<RolloutMatch> matches, IReadOnlyCollection<DeploymentRecord> deployments, RolloutView? rollout = null)
    {
        int Count(Func<DeploymentRecord, bool> p) => deployments.Count(p);
        return new JsonObject
        {
            ["kind"] = "done",
            ["matched"] = matches.Length,
            ["held"] = matches.Count(m => m.Decision == "deny"),
            ["not_realtime"] = matches.Count(m => m.Decision == "not_realtime"),
            ["already_running"] = matches.Count(m => m.AlreadyRunning),
            ["deployments"] = deployments.Count,
            ["succeeded"] = Count(d => d.State == DeploymentState.Completed && d.Result is DeploymentResult.Success or DeploymentResult.Skipped or DeploymentResult.Warning),
            ["failed"] = Count(d => d.State == DeploymentState.Stale
                                    || (d.State == DeploymentState.Completed && d.Result is DeploymentResult.Failure or DeploymentResult.Partial)),
            ["rolled_back"] = Count(d => d.State == DeploymentState.Completed && d.Result == DeploymentResult.RolledBack),
            ["awaiting_approval"] = Count(d => d.State == DeploymentState.AwaitingApproval),
            ["canceled"] = Count(d => d.State == DeploymentState.Canceled),
            // With a rollout plan: how the seed's rollout ended (completed, halted, aborted) and why; null without a plan.
            ["rollout_status"] = rollout?.Status.ToString().ToLowerInvariant(),
            ["rollout_reason"] = rollout?.Reason,
        };
    }
}

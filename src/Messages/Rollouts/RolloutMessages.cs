using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Messages.Rollouts;

/// <summary>Rollout plans and waves live in the seed line (issue 14.2): these go to its SeedLineActor.</summary>
public static class RolloutCommands
{
    public sealed record SetRolloutPlan(SeedLineKey Line, RolloutPlan Plan) : IWithSeedLineKey, ISowerSerializable;

    public sealed record ClearRolloutPlan(SeedLineKey Line, Actor Actor) : IWithSeedLineKey, ISowerSerializable;

    /// <summary>An operator lets a halted rollout go on: the halted wave counts as passed and the next wave starts now.</summary>
    public sealed record ResumeRollout(SeedLineKey Line, Actor Actor) : IWithSeedLineKey, ISowerSerializable;

    /// <summary>An operator stops a rollout for good: later waves are never offered its seed.</summary>
    public sealed record AbortRollout(SeedLineKey Line, Actor Actor) : IWithSeedLineKey, ISowerSerializable;

    /// <summary>From a garden's entity: how the realtime deployment of a seed of this line ended for one subscription.</summary>
    public sealed record ReportRolloutOutcome(SeedLineKey Line, SeedId Seed, SubscriptionId Subscription, bool Succeeded) : IWithSeedLineKey, ISowerSerializable;

    /// <summary>From a garden's entity on every subscription sync and label change: the garden's effective labels.</summary>
    public sealed record LabelSeedLineFollower(SeedLineKey Line, GardenId Garden, ImmutableDictionary<string, string> Labels) : IWithSeedLineKey, ISowerSerializable;
}

public static class RolloutQueries
{
    public sealed record GetRollout(SeedLineKey Line) : IWithSeedLineKey, ISowerSerializable;

    /// <summary>The line's plan and its current (or latest) rollout, if any.</summary>
    public sealed record RolloutFound(SeedLineKey Line, RolloutPlan? Plan, RolloutView? Rollout) : ISowerSerializable;
}

public static class RolloutEvents
{
    /// <summary>An event of one seed's rollout.</summary>
    public interface IRolloutEvent : ISeedLineEvent
    {
        SeedId Seed { get; }

        Instant At { get; }
    }

    public sealed record RolloutPlanSet(SeedLineKey Line, RolloutPlan Plan) : ISeedLineEvent;

    public sealed record RolloutPlanCleared(SeedLineKey Line, Actor Actor, Instant At) : ISeedLineEvent;

    public sealed record SeedLineFollowerLabeled(SeedLineKey Line, GardenId Garden, ImmutableDictionary<string, string> Labels) : ISeedLineEvent;

    /// <summary>A realtime seed met a plan: every target's wave is fixed here (persisted, so a retry or restart never reshuffles).</summary>
    public sealed record RolloutStarted(SeedLineKey Line, SeedId Seed, RolloutPlan Plan, ImmutableArray<RolloutTarget> Targets, Instant At) : IRolloutEvent;

    public sealed record RolloutWaveStarted(SeedLineKey Line, SeedId Seed, int Wave, Instant At) : IRolloutEvent;

    public sealed record RolloutOutcomeRecorded(SeedLineKey Line, SeedId Seed, SubscriptionId Subscription, bool Succeeded, Instant At) : IRolloutEvent;

    public sealed record RolloutHalted(SeedLineKey Line, SeedId Seed, int Wave, string Reason, Instant At) : IRolloutEvent;

    public sealed record RolloutResumed(SeedLineKey Line, SeedId Seed, Actor Actor, Instant At) : IRolloutEvent;

    public sealed record RolloutAborted(SeedLineKey Line, SeedId Seed, Actor Actor, Instant At) : IRolloutEvent;

    public sealed record RolloutCompleted(SeedLineKey Line, SeedId Seed, Instant At) : IRolloutEvent;
}

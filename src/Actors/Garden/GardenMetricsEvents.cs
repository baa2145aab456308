using System.Collections.Immutable;

namespace Sower.Actors.Garden;

/// <summary>Published on the garden's EventStream for <see cref="GardenMetricsActor"/> (and anyone else who listens).</summary>
public static class GardenMetricsEvents
{
    /// <summary>A deployment completed live (never on a replay): its result and each seed's, by subscription sid.</summary>
    public sealed record DeploymentEnded(string DeploymentSid, string Result, ImmutableArray<EndedSeed> Seeds);

    /// <summary>One seed of <see cref="DeploymentEnded"/>: <paramref name="Activated"/> when an activation ran (not stage-only, not skipped).</summary>
    public sealed record EndedSeed(string SubscriptionSid, string Result, bool Activated);

    /// <summary>A configuration (initial or reloaded) was applied: its <c>metrics_textfile</c>, null for none.</summary>
    public sealed record TextfileConfigured(string? Path);

    /// <summary>The activation gate's state changed: host inhibition, and a restart waiting for the reboot lock.</summary>
    public sealed record GateChanged(bool Inhibited, bool WaitingForRebootLock);
}

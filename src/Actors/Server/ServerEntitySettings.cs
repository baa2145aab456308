using NodaTime;

namespace Sower.Actors.Server;

/// <summary>Timing of the server entities; the host maps ServerOptions onto it, tests shrink the intervals.</summary>
public sealed record ServerEntitySettings
{
    public Duration StaleAfter { get; init; } = Duration.FromSeconds(7200);
    public TimeSpan StaleCheckInterval { get; init; } = TimeSpan.FromSeconds(60);
    public Duration ApprovalExpiry { get; init; } = Duration.FromSeconds(86400);
    /// <summary>How long a parked re-enrollment waits for an admin before it lapses.</summary>
    public Duration EnrollmentExpiry { get; init; } = Duration.FromSeconds(86400);
    public TimeSpan PassivateAfter { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan FanOutRetryInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan ResolveTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int SnapshotEvery { get; init; } = 100;
    /// <summary>How long a garden's report on a deployment not yet created waits for its creation before it is refused
    /// (long enough for a re-sent creation to arrive after a shard restarted under a busy journal).</summary>
    public TimeSpan CreationGrace { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How often a garden entity re-sends the creation of a deployment whose entity has not confirmed it.</summary>
    public TimeSpan CreationResendInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How often, at most, a running rollout re-checks its soak (issue 14.2): the timer also covers clock changes.</summary>
    public TimeSpan RolloutCheckInterval { get; init; } = TimeSpan.FromMinutes(1);
}

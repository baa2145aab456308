using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Deployments;

public interface IWithDeploymentId
{
    DeploymentId DeploymentId { get; }
}

public static class DeploymentCommands
{
    /// <summary>Sent by the garden that planned it; idempotent (a repeat answers with the current summary).</summary>
    public sealed record CreateDeployment(DeploymentId DeploymentId, DeploymentRecord Initial) : IWithDeploymentId, ISowerSerializable;

    /// <summary>Garden messages carry the calling garden, checked against the deployment's owner (REFERENCE §6.12).</summary>
    public sealed record AcknowledgeDeployment(DeploymentId DeploymentId, GardenId Caller) : IWithDeploymentId, ISowerSerializable;

    public sealed record SetSeedStatus(DeploymentId DeploymentId, GardenId Caller, SeedId Seed, SeedDeploymentState Status) : IWithDeploymentId, ISowerSerializable;

    public sealed record RecordSeedResult(DeploymentId DeploymentId, GardenId Caller, SeedId Seed, SeedResult? Result, ExecutedAction? Action, string? Log)
        : IWithDeploymentId, ISowerSerializable;

    public sealed record RecordDeploymentResult(DeploymentId DeploymentId, GardenId Caller, DeploymentResult Result, Instant DeployedAt)
        : IWithDeploymentId, ISowerSerializable;

    public sealed record ApproveDeployment(DeploymentId DeploymentId, Actor Actor) : IWithDeploymentId, ISowerSerializable;

    public sealed record RejectDeployment(DeploymentId DeploymentId, Actor Actor) : IWithDeploymentId, ISowerSerializable;

    /// <summary>From the owning garden: superseded (create/replay) or stale-cancel (create step 5).</summary>
    public sealed record CancelDeployment(DeploymentId DeploymentId, CancelReason Reason, Actor Actor) : IWithDeploymentId, ISowerSerializable;

    /// <summary>Replay on reconnect: keep it dispatched, last_dispatched_at = now, fresh request id (REFERENCE §6.7).</summary>
    public sealed record RedispatchDeployment(DeploymentId DeploymentId, RequestId RequestId) : IWithDeploymentId, ISowerSerializable;
}

public static class DeploymentQueries
{
    public sealed record GetDeployment(DeploymentId DeploymentId) : IWithDeploymentId, ISowerSerializable;

    public sealed record DeploymentFound(DeploymentRecord? Deployment) : ISowerSerializable;
}

public static class DeploymentEvents
{
    public interface IDeploymentEvent : ISowerEvent
    {
        DeploymentId DeploymentId { get; }
    }

    public sealed record DeploymentCreated(DeploymentId DeploymentId, DeploymentRecord Deployment) : IDeploymentEvent;

    public sealed record DeploymentAcknowledged(DeploymentId DeploymentId, Instant At) : IDeploymentEvent;

    public sealed record SeedStatusChanged(DeploymentId DeploymentId, SeedId Seed, SeedDeploymentState Status, Instant At) : IDeploymentEvent;

    public sealed record SeedResultRecorded(DeploymentId DeploymentId, SeedId Seed, SeedResult? Result, ExecutedAction? Action, string? Log, Instant At)
        : IDeploymentEvent;

    /// <summary>Late = the deployment was already stale or canceled; the result is still what the host did (REFERENCE §6.12).</summary>
    public sealed record DeploymentCompleted(DeploymentId DeploymentId, DeploymentResult Result, Instant DeployedAt, bool Late, GardenId Actor, Instant At)
        : IDeploymentEvent;

    public sealed record DeploymentApproved(DeploymentId DeploymentId, Actor Actor, Instant At) : IDeploymentEvent;

    public sealed record DeploymentCanceled(DeploymentId DeploymentId, CancelReason Reason, Actor Actor, Instant At) : IDeploymentEvent;

    public sealed record DeploymentMarkedStale(DeploymentId DeploymentId, Instant At) : IDeploymentEvent;

    public sealed record DeploymentRedispatched(DeploymentId DeploymentId, RequestId RequestId, Instant At) : IDeploymentEvent;
}

/// <summary>Told to the owning GardenActor after every persisted change, so its index mirrors the deployment.</summary>
public sealed record DeploymentChanged(GardenId GardenId, DeploymentSummary Summary) : Gardens.IWithGardenId, ISowerSerializable;

using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;

namespace Sower.Messages.Gardens;

public interface IWithGardenId
{
    GardenId GardenId { get; }
}

public static class GardenCommands
{
    /// <summary>Enrollment (REFERENCE §5.4). GardenId is GardenIdentity.For(HostIdentifier). Without proof (an admin caller, or the
    /// garden's current credential) a known host identifier is parked for approval (GardenEnrollmentRules).</summary>
    public sealed record RegisterGarden(GardenId GardenId, string Name, string HostIdentifier, string? Version, string Actor,
        bool CallerIsAdmin = false, TokenId? ProvenCredential = null, string ClaimHash = "") : IWithGardenId, ISowerSerializable;

    /// <summary>Reply to RegisterGarden: the host is known and the request waits for an admin (the caller holds the claim secret).</summary>
    public sealed record EnrollmentParked(GardenId GardenId, EnrollmentId Enrollment, Instant ExpiresAt) : ISowerSerializable;

    /// <summary>An admin approves a parked enrollment: the garden is re-bound (renamed) and its current credential must be revoked.</summary>
    public sealed record ApproveEnrollment(GardenId GardenId, EnrollmentId Enrollment, string Actor) : IWithGardenId, ISowerSerializable;

    public sealed record RejectEnrollment(GardenId GardenId, EnrollmentId Enrollment, string Actor) : IWithGardenId, ISowerSerializable;

    /// <summary>Reply to ApproveEnrollment / RejectEnrollment: the credential to revoke (approval only).</summary>
    public sealed record EnrollmentDecided(GardenId GardenId, EnrollmentId Enrollment, EnrollmentStatus Status, TokenId? RevokeCredential) : ISowerSerializable;

    /// <summary>The requester polls its parked enrollment with the hash of its claim secret.</summary>
    public sealed record ClaimEnrollment(GardenId GardenId, EnrollmentId Enrollment, string ClaimHash) : IWithGardenId, ISowerSerializable;

    public sealed record EnrollmentClaimed(GardenId GardenId, EnrollmentId Enrollment, GardenEnrollmentRules.ClaimOutcome Outcome, string? Name) : ISowerSerializable;

    /// <summary>After the approved requester got its credential the request is done and forgotten.</summary>
    public sealed record CompleteEnrollment(GardenId GardenId, EnrollmentId Enrollment) : IWithGardenId, ISowerSerializable;

    /// <summary>An admin lets a deleted garden's host identifier enroll again.</summary>
    public sealed record RestoreGarden(GardenId GardenId, string Actor) : IWithGardenId, ISowerSerializable;

    /// <summary>Reply: Rebound when the host was already enrolled; PreviousCredential is its token to rotate.</summary>
    public sealed record GardenEnrolled(GardenId GardenId, string Name, bool Rebound, TokenId? PreviousCredential) : ISowerSerializable;

    /// <summary>Delete the garden (REFERENCE §5.4): its credential is revoked by the caller, its live connection dropped,
    /// its subscriptions and generations removed; its deployments and their events are kept.</summary>
    public sealed record DeleteGarden(GardenId GardenId, Actor Actor) : IWithGardenId, ISowerSerializable;

    /// <summary>Reply to DeleteGarden: the credential to revoke.</summary>
    public sealed record GardenDeleted(GardenId GardenId, TokenId? Credential) : ISowerSerializable;

    public sealed record BindGardenCredential(GardenId GardenId, TokenId Credential) : IWithGardenId, ISowerSerializable;

    /// <summary>Reply to BindGardenCredential: the credential it replaced (to revoke), if any. Two concurrent enrolments
    /// of one host thus leave exactly one valid credential.</summary>
    public sealed record GardenCredentialReplaced(GardenId GardenId, TokenId? Replaced) : ISowerSerializable;

    public sealed record SyncSubscriptions(GardenId GardenId, ImmutableArray<SubscriptionSpec> Subscriptions) : IWithGardenId, ISowerSerializable
    {
        /// <summary>The garden's own labels (issue 14.1), validated by the gateway; null when the garden sent none (keep them).</summary>
        public ImmutableDictionary<string, string>? Labels { get; init; }
    }

    public sealed record SubscriptionsSynced(ImmutableArray<SubscriptionRecord> Subscriptions) : ISowerSerializable;

    /// <summary>deployment:request from the garden itself (REFERENCE §6.6). Trigger is never realtime (checked before).</summary>
    public sealed record RequestDeployment(GardenId GardenId, RequestId RequestId, ImmutableArray<SubscriptionId> Subscriptions, Trigger Trigger, bool Force)
        : IWithGardenId, ISowerSerializable;

    /// <summary>Manual deploy from the API (REFERENCE §6.5); ExplicitSeed was resolved by the caller.</summary>
    public sealed record DeploySubscription(GardenId GardenId, SubscriptionId Subscription, SeedInfo? ExplicitSeed, Actor Actor)
        : IWithGardenId, ISowerSerializable;

    /// <summary>Retry (REFERENCE §6.10).</summary>
    public sealed record RetryDeployment(GardenId GardenId, DeploymentId Deployment, Actor Actor) : IWithGardenId, ISowerSerializable;

    /// <summary>Realtime fan-out delivery from a seed line (REFERENCE §6.8); the garden acks with RealtimeDeliveryDone.</summary>
    public sealed record DeployRealtime(GardenId GardenId, SubscriptionId Subscription, SeedInfo Seed, string Actor, SeedLineKey Line, long DeliveryId)
        : IWithGardenId, ISowerSerializable;

    /// <summary>A seed this subscription may run was recalled (issue 16.2): when it runs it (or has it on the way), the garden gets
    /// a deployment of the newest non-recalled matching seed, or of what it ran before, under trigger recall. The garden entity
    /// answers with RecallOnGardenDone once it has decided (idempotent: a repeated delivery finds the replacement in flight).</summary>
    public sealed record RecallOnGarden(GardenId GardenId, SubscriptionId Subscription, SeedInfo Seed, bool Force, string Actor)
        : IWithGardenId, ISowerSerializable;

    public sealed record RecallOnGardenDone(SeedId Seed, SubscriptionId Subscription) : ISowerSerializable;

    /// <summary>Reply to a creation: the deployment created (or the duplicate found), or null when nothing was created.</summary>
    public sealed record DeploymentRequested(RequestId RequestId, DeploymentId? Deployment, bool AwaitingApproval, bool Duplicate) : ISowerSerializable;

    public sealed record ReportGenerations(GardenId GardenId, ImmutableArray<ReportedProfile> Profiles) : IWithGardenId, ISowerSerializable;

    public sealed record ReportGardenVersion(GardenId GardenId, string Version) : IWithGardenId, ISowerSerializable;

    /// <summary>An admin sets and removes server-side labels (issue 14.1); they win over the garden's own. Replies GardenFound.</summary>
    public sealed record ChangeGardenLabels(GardenId GardenId, ImmutableDictionary<string, string> Set, ImmutableArray<string> Remove, Actor Actor)
        : IWithGardenId, ISowerSerializable;
}

public static class GardenQueries
{
    public sealed record GetGarden(GardenId GardenId) : IWithGardenId, ISowerSerializable;

    public sealed record GardenFound(GardenView? Garden) : ISowerSerializable;
}

/// <summary>A garden as the API shows it.</summary>
public sealed record GardenView(
    GardenId Sid,
    string Name,
    bool Online,
    Instant? OnlineAt,
    Instant? LastSeen,
    string? Version,
    Instant RegisteredAt,
    ImmutableArray<SubscriptionRecord> Subscriptions,
    ImmutableArray<GenerationRow> Generations,
    DeploymentSummary? LatestDeployment,
    GardenHostCondition? Condition = null) : ISowerSerializable
{
    /// <summary>The garden's own labels (from its config file), the server-side ones an admin set, and the effective merge.</summary>
    public ImmutableDictionary<string, string>? OwnLabels { get; init; }

    public ImmutableDictionary<string, string>? AdminLabels { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public ImmutableDictionary<string, string> Labels => GardenLabels.Effective(OwnLabels, AdminLabels);
}

public static class GardenEvents
{
    public interface IGardenEvent : ISowerEvent
    {
        GardenId GardenId { get; }
    }

    public sealed record GardenRegistered(GardenId GardenId, string Name, string HostIdentifier, string Actor, Instant At) : IGardenEvent;

    /// <summary>Re-enrolment of the same host: the credential is rotated, history kept (the audit entry of REFERENCE §5.4).</summary>
    public sealed record GardenRebound(GardenId GardenId, string Name, string Actor, Instant At) : IGardenEvent;

    public sealed record GardenCredentialBound(GardenId GardenId, TokenId Credential) : IGardenEvent;

    public sealed record GardenRemoved(GardenId GardenId, Actor Actor, Instant At) : IGardenEvent;

    /// <summary>Persisted with GardenRemoved: the host identifier stays refused until GardenRestored (audit: who deleted it).</summary>
    public sealed record GardenTombstoned(GardenId GardenId, string Name, string HostIdentifier, string Actor, Instant At) : IGardenEvent;

    public sealed record GardenRestored(GardenId GardenId, string Actor, Instant At) : IGardenEvent;

    public sealed record GardenEnrollmentParked(GardenId GardenId, PendingEnrollment Enrollment) : IGardenEvent;

    public sealed record GardenEnrollmentApproved(GardenId GardenId, EnrollmentId Enrollment, string Actor, Instant At) : IGardenEvent;

    public sealed record GardenEnrollmentRejected(GardenId GardenId, EnrollmentId Enrollment, string Actor, Instant At) : IGardenEvent;

    public sealed record GardenEnrollmentCompleted(GardenId GardenId, EnrollmentId Enrollment, Instant At) : IGardenEvent;

    public sealed record GardenVersionReported(GardenId GardenId, string Version, Instant At) : IGardenEvent;

    public sealed record GardenSubscriptionsSynced(GardenId GardenId, ImmutableArray<SubscriptionRecord> Subscriptions, ImmutableArray<SubscriptionRecord> Removed, Instant At)
        : IGardenEvent;

    public sealed record GardenGenerationsReported(GardenId GardenId, ImmutableArray<GenerationRow> Generations, Instant At) : IGardenEvent;

    public sealed record GardenSessionStarted(GardenId GardenId, ConnectionId Connection, Instant At) : IGardenEvent;

    public sealed record GardenSessionEnded(GardenId GardenId, ConnectionId Connection, Instant At) : IGardenEvent;

    /// <summary>The garden's index entry for one deployment: written when it plans one and on every DeploymentChanged.</summary>
    public sealed record GardenDeploymentIndexed(GardenId GardenId, DeploymentSummary Deployment) : IGardenEvent;

    /// <summary>A deployment this garden created whose entity has not confirmed its creation yet: written with the index
    /// entry, so a garden entity that restarts (passivation, a node crash) still re-sends the creation until confirmed.</summary>
    public sealed record GardenDeploymentCreationPending(GardenId GardenId, DeploymentRecord Deployment) : IGardenEvent;

    /// <summary>The deployment entity confirmed the creation (it answered DeploymentChanged): no more re-sends.</summary>
    public sealed record GardenDeploymentCreationConfirmed(GardenId GardenId, DeploymentId Deployment) : IGardenEvent;

    /// <summary>The labels of the garden's config file, as its last sync carried them (issue 14.1).</summary>
    public sealed record GardenLabelsSynced(GardenId GardenId, ImmutableDictionary<string, string> Labels, Instant At) : IGardenEvent;

    /// <summary>An admin changed the server-side labels (audited).</summary>
    public sealed record GardenAdminLabelsChanged(GardenId GardenId, ImmutableDictionary<string, string> Set, ImmutableArray<string> Removed, Actor Actor, Instant At)
        : IGardenEvent;
}

using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;

namespace Sower.Messages.Deployments;

/// <summary>One seed planned into a deployment: for which subscription, with which authorized action.</summary>
public sealed record PlannedSeed(SubscriptionId Subscription, string SubscriptionName, PolicyAction Action, SeedInfo Seed) : ISowerSerializable;

/// <summary>The per-seed part of a deployment (REFERENCE §1.1 "seed deployment").</summary>
public sealed record SeedDeployment(
    SubscriptionId Subscription,
    string SubscriptionName,
    SeedInfo Seed,
    PolicyAction Authorized,
    ExecutedAction? Executed,
    SeedDeploymentState State,
    SeedResult? Result,
    string Log) : ISowerSerializable;

/// <summary>An audit record: `created`, `approval_requested`, `approved`, `canceled`, `acknowledged`, `completed`, `redispatched`, `late_result`.</summary>
public sealed record DeploymentAuditEvent(string Type, string? Reason, Actor Actor, Instant At, string? Detail) : ISowerSerializable;

/// <summary>The full state of one deployment, as its DeploymentActor holds it.</summary>
public sealed record DeploymentRecord(
    DeploymentId Sid,
    GardenId Garden,
    DeploymentState State,
    DeploymentResult? Result,
    Trigger Trigger,
    AuditReason Reason,
    bool Approved,
    string ContentHash,
    RequestId RequestId,
    Instant CreatedAt,
    Instant LastDispatchedAt,
    Instant? DeployedAt,
    DeploymentId? Parent,
    int RetryOrdinal,
    ImmutableArray<string> ConfirmRules,
    ImmutableArray<SeedDeployment> Seeds,
    ImmutableArray<DeploymentAuditEvent> Events) : ISowerSerializable
{
    public ImmutableArray<SubscriptionId> Subscriptions => Seeds.Select(s => s.Subscription).Distinct().ToImmutableArray();

    public DeploymentSummary ToSummary() => new(
        Sid, Garden, State, Result, Trigger, Reason, Approved, ContentHash, RequestId, CreatedAt, LastDispatchedAt, DeployedAt, Parent,
        RetryOrdinal, Seeds.Select(s => new PlannedSeed(s.Subscription, s.SubscriptionName, s.Authorized, s.Seed)).ToImmutableArray(),
        Seeds.Select(s => s.Executed ?? ExecutedAction.None).ToImmutableArray());
}

/// <summary>
/// What a garden needs to know of each of its deployments (duplicate suppression, supersede, replay, overdue schedules)
/// and what listings show. Executed is parallel to Seeds.
/// </summary>
public sealed record DeploymentSummary(
    DeploymentId Sid,
    GardenId Garden,
    DeploymentState State,
    DeploymentResult? Result,
    Trigger Trigger,
    AuditReason Reason,
    bool Approved,
    string ContentHash,
    RequestId RequestId,
    Instant CreatedAt,
    Instant LastDispatchedAt,
    Instant? DeployedAt,
    DeploymentId? Parent,
    int RetryOrdinal,
    ImmutableArray<PlannedSeed> Seeds,
    ImmutableArray<ExecutedAction> Executed) : ISowerSerializable
{
    public ImmutableHashSet<string> SubscriptionSet => Seeds.Select(s => s.Subscription.Value).ToImmutableHashSet(StringComparer.Ordinal);
}

public static class ContentHash
{
    /// <summary>REFERENCE §6.4 step 3: lower-case hex SHA-256 of the seed sids, sorted ordinally, joined with ':'.</summary>
    public static string Of(IEnumerable<SeedId> seeds)
    {
        var joined = string.Join(':', seeds.Select(s => s.Value).OrderBy(s => s, StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(joined)));
    }
}

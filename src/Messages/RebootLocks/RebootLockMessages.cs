using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.RebootLocks;

/// <summary>Marker for every reboot lock message: all are bound to the reboot lock serializer.</summary>
public interface IRebootLockMessage;

/// <summary>Marker for persisted reboot lock events.</summary>
public interface IRebootLockEvent : IRebootLockMessage;

/// <summary>A reboot group: the gardens matched by <see cref="Selector"/> (first matching rule wins) may reboot at most
/// <see cref="MaxConcurrentReboots"/> at a time.</summary>
public sealed record RebootGroupRule(string Group, string Selector, int MaxConcurrentReboots);

/// <summary>A garden's permission to reboot for one deployment, until it reconnected on the new generation or
/// <see cref="ExpiresAt"/> passed (crash safety).</summary>
public sealed record RebootLease(
    GardenId Garden,
    string GardenName,
    DeploymentId Deployment,
    string Group,
    ConnectionId Connection,
    Instant AcquiredAt,
    Instant ExpiresAt);

/// <summary>A garden that said "not now" (inhibit file or command); reported by the garden itself.</summary>
public sealed record GardenInhibition(GardenId Garden, string GardenName, string Reason, Instant Since);

public static class RebootLockCommands
{
    /// <summary>From the gateway: the garden of the session wants to reboot for <paramref name="Deployment"/>.
    /// <paramref name="Labels"/> decide its group.</summary>
    public sealed record AcquireRebootLease(
        GardenId Garden, string GardenName, ImmutableDictionary<string, string> Labels, DeploymentId Deployment, ConnectionId Connection)
        : IRebootLockMessage;

    /// <summary>From the gateway: the garden gives its lease back, either booted on the new generation (from a new
    /// connection) or because no reboot turned out to be needed.</summary>
    public sealed record ReleaseRebootLease(GardenId Garden, DeploymentId Deployment, ConnectionId Connection, RebootReleaseReason Reason)
        : IRebootLockMessage;

    /// <summary>An operator frees a garden's lease (the garden died, or must not wait for the expiry).</summary>
    public sealed record ForceReleaseRebootLease(GardenId Garden, Actor By) : IRebootLockMessage;

    /// <summary>Replace the per-selector group rules (an empty list: every garden is in the default group).</summary>
    public sealed record SetRebootGroupRules(ImmutableArray<RebootGroupRule> Rules, Actor By) : IRebootLockMessage;

    /// <summary>From the gateway: the garden's inhibition state changed (Reason null: no longer inhibited).</summary>
    public sealed record ReportGardenInhibition(GardenId Garden, string GardenName, string? Reason) : IRebootLockMessage;

    /// <summary>Timer: expire leases past their deadline.</summary>
    public sealed record ExpireRebootLeases : IRebootLockMessage
    {
        public static readonly ExpireRebootLeases Instance = new();
    }
}

public enum RebootReleaseReason
{
    /// <summary>The garden reconnected after booting the deployed system.</summary>
    Booted,

    /// <summary>The deployment ended without a reboot (no boot-relevant change, a failure, a live switch).</summary>
    NotNeeded,

    /// <summary>An operator released it.</summary>
    Forced,

    /// <summary>The lease outlived its TTL.</summary>
    Expired,
}

public static class RebootLockQueries
{
    public sealed record GetRebootLocks : IRebootLockMessage
    {
        public static readonly GetRebootLocks Instance = new();
    }
}

public static class RebootLockEvents
{
    public sealed record RebootLeaseAcquired(RebootLease Lease) : IRebootLockEvent;

    /// <summary><c>By</c>: who released it (the garden itself, an operator, or the server on expiry).</summary>
    public sealed record RebootLeaseReleased(GardenId Garden, DeploymentId Deployment, RebootReleaseReason Reason, Actor By, Instant At) : IRebootLockEvent;

    public sealed record RebootGroupRulesSet(ImmutableArray<RebootGroupRule> Rules, Actor By, Instant At) : IRebootLockEvent;

    public sealed record GardenInhibited(GardenInhibition Inhibition) : IRebootLockEvent;

    public sealed record GardenInhibitionEnded(GardenId Garden, Instant At) : IRebootLockEvent;
}

public static class RebootLockErrorCodes
{
    public const string Invalid = "invalid";
    public const string NotFound = "not-found";
    public const string NotHolder = "not-holder";
}

public static class RebootLockReplies
{
    public sealed record RebootLeaseGranted(RebootLease Lease) : IRebootLockMessage;

    /// <summary>The group is full: <see cref="Holders"/> are the names of the gardens holding its leases.</summary>
    public sealed record RebootLeaseDenied(string Group, int InUse, int Max, ImmutableArray<string> Holders) : IRebootLockMessage
    {
        /// <summary>The deployment log line: "waiting for the reboot lock (2 of 2 in use: web03, web07)".</summary>
        public string Text => $"waiting for the reboot lock ({InUse} of {Max} in use: {string.Join(", ", Holders)})";
    }

    public sealed record RebootLeaseReleaseConfirmed(GardenId Garden) : IRebootLockMessage;

    public sealed record RebootGroupRulesSaved(ImmutableArray<RebootGroupRule> Rules) : IRebootLockMessage;

    public sealed record GardenInhibitionRecorded(GardenId Garden) : IRebootLockMessage;

    /// <summary>Every lease (with whether it has expired at <see cref="At"/>), the rules and the inhibited gardens.</summary>
    public sealed record RebootLockList(
        ImmutableArray<RebootLease> Leases,
        ImmutableArray<RebootGroupRule> Rules,
        int DefaultMaxConcurrentReboots,
        long LeaseTtlSeconds,
        ImmutableArray<GardenInhibition> Inhibitions,
        Instant At) : IRebootLockMessage;

    public sealed record RebootLockError(string Code, ImmutableArray<string> Errors) : IRebootLockMessage;
}

/// <summary>Published on the event stream when a lease outlived its TTL (the webhooks notify "reboot lock held too long").</summary>
public sealed record RebootLeaseHeldTooLong(RebootLease Lease, Instant At);

/// <summary>Server settings of the reboot lock: the default group's cap and the lease TTL.</summary>
public sealed record RebootLockSettings(int DefaultMaxConcurrentReboots, Duration LeaseTtl)
{
    public const string DefaultGroup = "default";

    public static readonly RebootLockSettings Default = new(1, Duration.FromMinutes(30));
}

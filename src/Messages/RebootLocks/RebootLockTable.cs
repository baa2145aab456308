using System.Collections.Immutable;
using Sower.Messages.Gardens;
using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.RebootLocks.RebootLockCommands;
using static Sower.Messages.RebootLocks.RebootLockEvents;
using static Sower.Messages.RebootLocks.RebootLockReplies;

namespace Sower.Messages.RebootLocks;

/// <summary>The outcome of a command: the events to persist (possibly none) and the reply once they are persisted.</summary>
public sealed record RebootLockDecision(ImmutableArray<IRebootLockEvent> Events, IRebootLockMessage Reply);

/// <summary>
/// The pure reboot lease table (issue 14.3): which garden may reboot now, per group. One lease per garden; a garden's
/// group is the first rule whose selector matches its labels, else <see cref="RebootLockSettings.DefaultGroup"/>.
/// Expired leases never count; they leave the table through <see cref="Expire"/> (an event, so it is visible).
/// </summary>
public sealed record RebootLockTable(
    ImmutableSortedDictionary<string, RebootLease> Leases,
    ImmutableArray<RebootGroupRule> Rules,
    ImmutableSortedDictionary<string, GardenInhibition> Inhibitions)
{
    public const int MaxRules = 200;
    public const int MaxConcurrentLimit = 10_000;
    public const int MaxReasonLength = 500;

    public static readonly RebootLockTable Empty = new(
        ImmutableSortedDictionary<string, RebootLease>.Empty.WithComparers(StringComparer.Ordinal),
        [],
        ImmutableSortedDictionary<string, GardenInhibition>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>The group of a garden and its cap: the first rule whose selector matches, else the default group.</summary>
    public (string Group, int Max) GroupOf(IReadOnlyDictionary<string, string> labels, RebootLockSettings settings)
    {
        foreach (var rule in Rules)
        {
            if (LabelSelector.Parse(rule.Selector).Value is { } selector && selector.Matches(labels))
                return (rule.Group, rule.MaxConcurrentReboots);
        }
        return (RebootLockSettings.DefaultGroup, settings.DefaultMaxConcurrentReboots);
    }

    public RebootLockDecision Decide(AcquireRebootLease cmd, Instant now, RebootLockSettings settings)
    {
        var (group, max) = GroupOf(cmd.Labels, settings);
        if (Leases.TryGetValue(cmd.Garden.Value, out var own) && own.ExpiresAt > now && own.Deployment == cmd.Deployment)
        {
            // Idempotent: the holder asking again (a retry, a reconnect) keeps its lease and its deadline.
            return new([], new RebootLeaseGranted(own));
        }
        var holders = Leases.Values
            .Where(l => l.Group == group && l.Garden != cmd.Garden && l.ExpiresAt > now)
            .OrderBy(l => l.AcquiredAt).ThenBy(l => l.GardenName, StringComparer.Ordinal)
            .ToList();
        if (holders.Count >= max)
        {
            return new([], new RebootLeaseDenied(group, holders.Count, max, [.. holders.Select(h => h.GardenName)]));
        }
        // A garden holds at most one lease: asking for another deployment moves it (the count of its group is unchanged).
        var lease = new RebootLease(cmd.Garden, cmd.GardenName, cmd.Deployment, group, cmd.Connection, now, now + settings.LeaseTtl);
        return new([new RebootLeaseAcquired(lease)], new RebootLeaseGranted(lease));
    }

    public RebootLockDecision Decide(ReleaseRebootLease cmd, Instant now)
    {
        if (!Leases.TryGetValue(cmd.Garden.Value, out var lease) || lease.Deployment != cmd.Deployment)
        {
            // Nothing to give back (already expired, forced, or released): say so, but it is not the garden's fault.
            return new([], new RebootLockError(RebootLockErrorCodes.NotHolder, [$"this garden holds no reboot lease for {cmd.Deployment.Value}"]));
        }
        if (cmd.Reason == RebootReleaseReason.Booted && cmd.Connection == lease.Connection)
        {
            return new([], new RebootLockError(RebootLockErrorCodes.Invalid,
                ["a lease is released as booted only from a new connection after the reboot"]));
        }
        if (cmd.Reason is not (RebootReleaseReason.Booted or RebootReleaseReason.NotNeeded))
        {
            return new([], new RebootLockError(RebootLockErrorCodes.Invalid, ["reason: must be booted or not_needed"]));
        }
        return new([new RebootLeaseReleased(cmd.Garden, cmd.Deployment, cmd.Reason, Actor.Garden(cmd.Garden), now)],
            new RebootLeaseReleaseConfirmed(cmd.Garden));
    }

    public RebootLockDecision Decide(ForceReleaseRebootLease cmd, Instant now) =>
        Leases.TryGetValue(cmd.Garden.Value, out var lease)
            ? new([new RebootLeaseReleased(cmd.Garden, lease.Deployment, RebootReleaseReason.Forced, cmd.By, now)], new RebootLeaseReleaseConfirmed(cmd.Garden))
            : new([], new RebootLockError(RebootLockErrorCodes.NotFound, [$"garden {cmd.Garden.Value} holds no reboot lease"]));

    public RebootLockDecision Decide(SetRebootGroupRules cmd, Instant now)
    {
        var errors = ValidateRules(cmd.Rules);
        return errors.IsEmpty
            ? new([new RebootGroupRulesSet(cmd.Rules, cmd.By, now)], new RebootGroupRulesSaved(cmd.Rules))
            : new([], new RebootLockError(RebootLockErrorCodes.Invalid, errors));
    }

    public RebootLockDecision Decide(ReportGardenInhibition cmd, Instant now)
    {
        if (cmd.Reason is { } reason)
        {
            if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength || reason.Any(char.IsControl))
                return new([], new RebootLockError(RebootLockErrorCodes.Invalid, [$"reason: one line of at most {MaxReasonLength} characters"]));
            // The same reason again is no news; keep the original "since".
            if (Inhibitions.TryGetValue(cmd.Garden.Value, out var known) && known.Reason == reason)
                return new([], new GardenInhibitionRecorded(cmd.Garden));
            var since = known?.Since ?? now;
            return new([new GardenInhibited(new GardenInhibition(cmd.Garden, cmd.GardenName, reason, since))], new GardenInhibitionRecorded(cmd.Garden));
        }
        return Inhibitions.ContainsKey(cmd.Garden.Value)
            ? new([new GardenInhibitionEnded(cmd.Garden, now)], new GardenInhibitionRecorded(cmd.Garden))
            : new([], new GardenInhibitionRecorded(cmd.Garden));
    }

    /// <summary>Release events for every lease whose deadline has passed (a garden that crashed or never came back).</summary>
    public ImmutableArray<IRebootLockEvent> Expire(Instant now) =>
        [.. Leases.Values.Where(l => l.ExpiresAt <= now)
            .Select(l => (IRebootLockEvent)new RebootLeaseReleased(l.Garden, l.Deployment, RebootReleaseReason.Expired, Actor.Server, now))];

    public RebootLockList List(Instant now, RebootLockSettings settings) => new(
        [.. Leases.Values.OrderBy(l => l.Group, StringComparer.Ordinal).ThenBy(l => l.AcquiredAt)],
        Rules, settings.DefaultMaxConcurrentReboots, (long)settings.LeaseTtl.TotalSeconds,
        [.. Inhibitions.Values.OrderBy(i => i.GardenName, StringComparer.Ordinal)], now);

    public RebootLockTable Apply(IRebootLockEvent evt) => evt switch
    {
        RebootLeaseAcquired e => this with { Leases = Leases.SetItem(e.Lease.Garden.Value, e.Lease) },
        // Only the lease it names: a release of an older deployment never drops a newer lease of the same garden.
        RebootLeaseReleased e when Leases.TryGetValue(e.Garden.Value, out var l) && l.Deployment == e.Deployment =>
            this with { Leases = Leases.Remove(e.Garden.Value) },
        RebootGroupRulesSet e => this with { Rules = e.Rules },
        GardenInhibited e => this with { Inhibitions = Inhibitions.SetItem(e.Inhibition.Garden.Value, e.Inhibition) },
        GardenInhibitionEnded e => this with { Inhibitions = Inhibitions.Remove(e.Garden.Value) },
        _ => this,
    };

    public static ImmutableArray<string> ValidateRules(ImmutableArray<RebootGroupRule> rules)
    {
        var errors = ImmutableArray.CreateBuilder<string>();
        if (rules.IsDefault) return ["rules: required: a list of {group, selector, max_concurrent_reboots}"];
        if (rules.Length > MaxRules) errors.Add($"rules: at most {MaxRules}");
        var groups = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Length && i < MaxRules; i++)
        {
            var r = rules[i];
            if (r is null) { errors.Add($"rules[{i}]: required"); continue; }
            if (string.IsNullOrEmpty(r.Group) || r.Group.Length > 100 || !r.Group.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
                errors.Add($"rules[{i}].group: 1-100 letters, digits, '.', '-' or '_'");
            else if (r.Group == RebootLockSettings.DefaultGroup)
                errors.Add($"rules[{i}].group: \"{RebootLockSettings.DefaultGroup}\" is the group of gardens no rule matches; choose another name");
            else if (!groups.Add(r.Group))
                errors.Add($"rules[{i}].group: {r.Group} appears twice; one rule per group");
            foreach (var problem in LabelSelector.Parse(r.Selector).Problems) errors.Add($"rules[{i}].selector: {problem.Message}");
            if (r.MaxConcurrentReboots is < 1 or > MaxConcurrentLimit)
                errors.Add($"rules[{i}].max_concurrent_reboots: between 1 and {MaxConcurrentLimit}");
        }
        return errors.ToImmutable();
    }
}

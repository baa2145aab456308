using System.Collections.Immutable;
using NodaTime;

namespace Sower.Messages.Domain;

public enum DecisionKind
{
    Allow,
    Confirm,
    Deny,
}

public static class DecisionKinds
{
    public static string ToWire(this DecisionKind kind) => kind switch
    {
        DecisionKind.Allow => "allow",
        DecisionKind.Confirm => "confirm",
        DecisionKind.Deny => "deny",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

/// <summary>The answer of <see cref="PolicyEvaluator.Evaluate"/>: Allow(action), Confirm(action) or Deny, with the rules that
/// matched at the deciding level (empty for Deny).</summary>
public sealed record PolicyDecision(DecisionKind Kind, PolicyAction? Action, ImmutableArray<string> MatchedRules)
{
    public static PolicyDecision Deny { get; } = new(DecisionKind.Deny, null, ImmutableArray<string>.Empty);

    public static PolicyDecision Allow(PolicyAction action, params string[] matchedRules) =>
        new(DecisionKind.Allow, action, [.. matchedRules]);

    public static PolicyDecision Confirm(PolicyAction action, params string[] matchedRules) =>
        new(DecisionKind.Confirm, action, [.. matchedRules]);

    public bool IsAllow => Kind == DecisionKind.Allow;

    /// <summary>The decision without the rule names, for comparing outcomes.</summary>
    public PolicyVerdict Verdict => new(Kind, Action);

    public bool Equals(PolicyDecision? other) =>
        other is not null && Kind == other.Kind && Action == other.Action && Seq.Equal(MatchedRules, other.MatchedRules);

    public override int GetHashCode() => HashCode.Combine(Kind, Action, Seq.Hash(MatchedRules));

    public override string ToString() =>
        Kind == DecisionKind.Deny ? "Deny" : $"{Kind}({Action?.ToWire()}) [{string.Join(", ", MatchedRules)}]";
}

/// <summary>A decision without the matched rule names; never allocates.</summary>
public readonly record struct PolicyVerdict(DecisionKind Kind, PolicyAction? Action)
{
    public static PolicyVerdict Deny => new(DecisionKind.Deny, null);

    public override string ToString() => Kind == DecisionKind.Deny ? "deny" : $"{Kind.ToWire()} {Action?.ToWire()}";
}

/// <summary>
/// The one policy evaluator shared by server, garden and CLI (REFERENCE §4.3–4.5). Pure and allocation-free on the common
/// paths: rules are checked once each against trigger and window into a bit set, then the levels are walked.
/// </summary>
public static class PolicyEvaluator
{
    private const int MaxStackRules = 64;

    /// <summary>Walks restart, activate, stage (those the seed type supports); the first level with a matching rule decides:
    /// Confirm if any matching rule there asks for it, else Allow. No matching level: Deny.</summary>
    /// <param name="zone">The subscription's effective zone; null means Etc/UTC. A window's own tz wins over it.</param>
    public static PolicyDecision Evaluate(Policy policy, Trigger trigger, Instant now, SeedType seedType, DateTimeZone? zone = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var rules = policy.Rules;
        if (rules.Length > MaxStackRules) return EvaluateLarge(rules, trigger, now, seedType, zone);

        var applicable = ApplicableRules(rules, trigger, useTrigger: true, now, zone);
        if (applicable == 0) return PolicyDecision.Deny;
        for (var action = PolicyAction.Restart; action >= PolicyAction.Stage; action--)
        {
            if (!seedType.Supports(action)) continue;
            var actionBit = 1 << (int)action;
            var count = 0;
            var confirm = false;
            PolicyRule? first = null;
            for (var i = 0; i < rules.Length; i++)
            {
                if ((applicable & (1UL << i)) == 0) continue;
                var rule = rules[i];
                if ((rule.ActionMask & actionBit) == 0) continue;
                count++;
                first ??= rule;
                confirm |= rule.Confirm;
            }
            if (count == 1) return first!.SoleDecision(action);
            if (count > 1) return Several(rules, applicable, action, confirm, count);
        }
        return PolicyDecision.Deny;
    }

    /// <summary>The same rules with every window removed: what a forced recall is evaluated against (issue 16.2).</summary>
    public static Policy WithoutWindows(Policy policy) =>
        policy.Rules.All(r => r.Window is null) ? policy : new Policy([.. policy.Rules.Select(r => r with { Window = null })]);

    /// <summary>Like <see cref="Evaluate"/> but without the rule names; never allocates.</summary>
    public static PolicyVerdict Decide(Policy policy, Trigger trigger, Instant now, SeedType seedType, DateTimeZone? zone = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var rules = policy.Rules;
        if (rules.Length > MaxStackRules) return EvaluateLarge(rules, trigger, now, seedType, zone).Verdict;
        var applicable = ApplicableRules(rules, trigger, useTrigger: true, now, zone);
        if (applicable == 0) return PolicyVerdict.Deny;
        for (var action = PolicyAction.Restart; action >= PolicyAction.Stage; action--)
        {
            if (!seedType.Supports(action)) continue;
            var actionBit = 1 << (int)action;
            var found = false;
            var confirm = false;
            for (var i = 0; i < rules.Length; i++)
            {
                if ((applicable & (1UL << i)) == 0 || (rules[i].ActionMask & actionBit) == 0) continue;
                found = true;
                confirm |= rules[i].Confirm;
            }
            if (found) return new PolicyVerdict(confirm ? DecisionKind.Confirm : DecisionKind.Allow, action);
        }
        return PolicyVerdict.Deny;
    }

    /// <summary>The most disruptive supported action granted by some rule whose window (if any) is open now, ignoring
    /// triggers and confirm (REFERENCE §4.5); null when there is none. The default policy gives activate.</summary>
    public static PolicyAction? HighestPermittedAction(Policy policy, Instant now, SeedType seedType, DateTimeZone? zone = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var granted = 0;
        foreach (var rule in policy.Rules)
        {
            if (rule is null || (rule.ActionMask & ~granted) == 0) continue;
            if (rule.Window is null || WindowMatches(rule.Window, now, zone)) granted |= rule.ActionMask;
        }
        for (var action = PolicyAction.Restart; action >= PolicyAction.Stage; action--)
        {
            if ((granted & (1 << (int)action)) != 0 && seedType.Supports(action)) return action;
        }
        return null;
    }

    /// <summary>The rules that grant <see cref="HighestPermittedAction"/> at <paramref name="now"/>.</summary>
    public static ImmutableArray<string> RulesGranting(Policy policy, PolicyAction action, Instant now, DateTimeZone? zone = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var names = ImmutableArray.CreateBuilder<string>();
        foreach (var rule in policy.Rules)
        {
            if (rule is not null && rule.Grants(action) && (rule.Window is null || WindowMatches(rule.Window, now, zone))) names.Add(rule.Name);
        }
        return names.ToImmutable();
    }

    /// <summary>True iff some rule has no trigger list or lists realtime; windows are not considered. Default policy: false.</summary>
    public static bool HasRealtimeTrigger(Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        foreach (var rule in policy.Rules)
        {
            if (rule is not null && rule.AppliesTo(Trigger.Realtime)) return true;
        }
        return false;
    }

    /// <summary>Window matching of REFERENCE §4.4 at an instant. Zone precedence: the window's tz, else
    /// <paramref name="zone"/>, else Etc/UTC. A window whose tz is unknown never matches.</summary>
    public static bool WindowMatches(PolicyWindow window, Instant now, DateTimeZone? zone = null)
    {
        ArgumentNullException.ThrowIfNull(window);
        DateTimeZone effective;
        if (window.Tz is null) effective = zone ?? Zones.Utc;
        else if (window.Zone is { } own) effective = own;
        else return false;
        var local = now.InZone(effective).LocalDateTime;
        return WindowMatches(window, local);
    }

    /// <summary>Window matching on a wall-clock date and time (already converted to the window's zone).</summary>
    public static bool WindowMatches(PolicyWindow window, LocalDateTime local)
    {
        ArgumentNullException.ThrowIfNull(window);
        // Compared in ticks (100 ns), the precision of .NET time and of the ISO-8601 wire form: an end of 17:00 includes
        // 17:00:00.0000000 and the window is closed from 17:00:00.0000001 on.
        var time = local.TimeOfDay.TickOfDay;
        var start = window.Start.TickOfDay;
        var end = window.End.TickOfDay;
        var day = (int)local.DayOfWeek;
        var mask = window.DayMask;
        if (start <= end)
        {
            return (mask & (1 << day)) != 0 && start <= time && time <= end;
        }
        var previous = day == 1 ? 7 : day - 1;
        return ((mask & (1 << day)) != 0 && time >= start) || ((mask & (1 << previous)) != 0 && time <= end);
    }

    private static ulong ApplicableRules(ImmutableArray<PolicyRule> rules, Trigger trigger, bool useTrigger, Instant now, DateTimeZone? zone)
    {
        ulong applicable = 0;
        var triggerBit = 1 << (int)trigger;
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            if (rule is null || rule.ActionMask == 0) continue;
            if (useTrigger && (rule.TriggerMask & triggerBit) == 0) continue;
            if (rule.Window is not null && !WindowMatches(rule.Window, now, zone)) continue;
            applicable |= 1UL << i;
        }
        return applicable;
    }

    private static PolicyDecision Several(ImmutableArray<PolicyRule> rules, ulong applicable, PolicyAction action, bool confirm, int count)
    {
        var names = ImmutableArray.CreateBuilder<string>(count);
        var actionBit = 1 << (int)action;
        for (var i = 0; i < rules.Length; i++)
        {
            if ((applicable & (1UL << i)) != 0 && (rules[i].ActionMask & actionBit) != 0) names.Add(rules[i].Name);
        }
        return new PolicyDecision(confirm ? DecisionKind.Confirm : DecisionKind.Allow, action, names.MoveToImmutable());
    }

    // Policies with more rules than fit the bit set: same semantics, simple and allocating.
    private static PolicyDecision EvaluateLarge(ImmutableArray<PolicyRule> rules, Trigger trigger, Instant now, SeedType seedType, DateTimeZone? zone)
    {
        var applicable = new bool[rules.Length];
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            applicable[i] = rule is not null && rule.AppliesTo(trigger) && (rule.Window is null || WindowMatches(rule.Window, now, zone));
        }
        for (var action = PolicyAction.Restart; action >= PolicyAction.Stage; action--)
        {
            if (!seedType.Supports(action)) continue;
            var names = ImmutableArray.CreateBuilder<string>();
            var confirm = false;
            for (var i = 0; i < rules.Length; i++)
            {
                if (!applicable[i] || !rules[i].Grants(action)) continue;
                names.Add(rules[i].Name);
                confirm |= rules[i].Confirm;
            }
            if (names.Count > 0) return new PolicyDecision(confirm ? DecisionKind.Confirm : DecisionKind.Allow, action, names.ToImmutable());
        }
        return PolicyDecision.Deny;
    }
}

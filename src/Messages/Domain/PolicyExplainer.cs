using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using NodaTime;
using NodaTime.Text;

namespace Sower.Messages.Domain;

/// <summary>Everything an operator asks about a policy at an instant: the decision for a trigger (null without one), the
/// highest permitted action, whether realtime is enabled, the rules behind the answer, and when the answer next changes.</summary>
public sealed record PolicyExplanation(PolicyDecision? Decision, PolicyAction? Highest, bool Realtime,
                                       ImmutableArray<string> MatchedRules, Instant? NextChange, string Text)
{
    public bool Equals(PolicyExplanation? other) =>
        other is not null && Equals(Decision, other.Decision) && Highest == other.Highest && Realtime == other.Realtime &&
        Seq.Equal(MatchedRules, other.MatchedRules) && NextChange == other.NextChange && Text == other.Text;

    public override int GetHashCode() => HashCode.Combine(Decision, Highest, Realtime, Seq.Hash(MatchedRules), NextChange, Text);
}

/// <summary>
/// Answers "when will this host next be allowed to restart?". The answer only changes where some window's wall-clock
/// condition flips: at a window start, at the first instant after an (inclusive) end, at local midnight (the weekday
/// changes), or at a zone offset transition. Those instants are the only candidates examined, in order.
/// </summary>
public static class PolicyExplainer
{
    public static readonly Duration Horizon = Duration.FromDays(8);

    public static PolicyExplanation Explain(Policy policy, Trigger? trigger, SeedType seedType, DateTimeZone? zone, Instant at)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var decision = trigger is { } t ? PolicyEvaluator.Evaluate(policy, t, at, seedType, zone) : null;
        var highest = PolicyEvaluator.HighestPermittedAction(policy, at, seedType, zone);
        var realtime = PolicyEvaluator.HasRealtimeTrigger(policy);
        var matched = decision is not null
            ? decision.MatchedRules
            : highest is { } h ? PolicyEvaluator.RulesGranting(policy, h, at, zone) : ImmutableArray<string>.Empty;
        var next = NextChange(policy, trigger, seedType, zone, at);
        var text = Describe(policy, trigger, seedType, zone, at, decision, highest, realtime, next);
        return new PolicyExplanation(decision, highest, realtime, matched, next, text);
    }

    /// <summary>The first instant in (at, at + 8 days] at which the decision for <paramref name="trigger"/> (or the highest
    /// permitted action when it is null) differs from the one at <paramref name="at"/>; null if it stays the same.</summary>
    public static Instant? NextChange(Policy policy, Trigger? trigger, SeedType seedType, DateTimeZone? zone, Instant at)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var horizon = at + Horizon;
        var current = Outcome(policy, trigger, seedType, zone, at);
        foreach (var candidate in Candidates(policy, zone, at, horizon))
        {
            if (Outcome(policy, trigger, seedType, zone, candidate) != current) return candidate;
        }
        return null;
    }

    /// <summary>Every instant in (from, until] at which some window of the policy may open or close, ascending.</summary>
    public static IReadOnlyList<Instant> Candidates(Policy policy, DateTimeZone? zone, Instant from, Instant until)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var instants = new SortedSet<Instant>();
        var zonesDone = new HashSet<DateTimeZone>();
        foreach (var rule in policy.Rules)
        {
            if (rule.Window is not { } window) continue;
            var effective = window.Tz is null ? zone ?? Zones.Utc : window.Zone;
            if (effective is null) continue; // an unknown zone never matches, so it never changes anything
            var firstDay = from.InZone(effective).Date.PlusDays(-1);
            var lastDay = until.InZone(effective).Date.PlusDays(1);
            for (var day = firstDay; day <= lastDay; day = day.PlusDays(1))
            {
                Add(instants, effective, day + window.Start, from, until);
                Add(instants, effective, day + window.End.PlusTicks(1), from, until);
                if (window.End == LocalTime.MaxValue) Add(instants, effective, day.PlusDays(1).AtMidnight(), from, until);
                Add(instants, effective, day.AtMidnight(), from, until);
            }
            if (zonesDone.Add(effective))
            {
                foreach (var interval in effective.GetZoneIntervals(from, until))
                {
                    if (interval.HasStart && interval.Start > from && interval.Start <= until) instants.Add(interval.Start);
                }
            }
        }
        return [.. instants];
    }

    private static void Add(SortedSet<Instant> instants, DateTimeZone zone, LocalDateTime local, Instant from, Instant until)
    {
        var mapping = zone.MapLocal(local);
        switch (mapping.Count)
        {
            case 0:
                // Skipped by a gap: the wall clock jumps past it at the transition, which is a candidate of its own.
                AddIf(instants, mapping.LateInterval.Start, from, until);
                break;
            case 1:
                AddIf(instants, mapping.Single().ToInstant(), from, until);
                break;
            default:
                AddIf(instants, mapping.First().ToInstant(), from, until);
                AddIf(instants, mapping.Last().ToInstant(), from, until);
                break;
        }
    }

    private static void AddIf(SortedSet<Instant> instants, Instant instant, Instant from, Instant until)
    {
        if (instant > from && instant <= until) instants.Add(instant);
    }

    private static (DecisionKind, PolicyAction?) Outcome(Policy policy, Trigger? trigger, SeedType seedType, DateTimeZone? zone, Instant at)
    {
        if (trigger is { } t)
        {
            var verdict = PolicyEvaluator.Decide(policy, t, at, seedType, zone);
            return (verdict.Kind, verdict.Action);
        }
        return (DecisionKind.Allow, PolicyEvaluator.HighestPermittedAction(policy, at, seedType, zone));
    }

    private static string Describe(Policy policy, Trigger? trigger, SeedType seedType, DateTimeZone? zone, Instant at,
                                   PolicyDecision? decision, PolicyAction? highest, bool realtime, Instant? next)
    {
        var effectiveZone = zone ?? Zones.Utc;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"At {Format(at)} ({Local(at, effectiveZone)} in {effectiveZone.Id}), seed type {SeedTypes.WireOrNumber(seedType)}")
            .Append(trigger is { } tr ? $", trigger {tr.ToWire()}" : ", no trigger").AppendLine(":");
        text.AppendLine(policy.IsDefault
            ? "  the default policy applies (activate for manual, scheduled, poll_on_connect and recall)"
            : $"  policy with {policy.Rules.Length} rule(s)");
        foreach (var rule in policy.Rules)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - {rule.Name}: {RuleSummary(rule)} -> {RuleVerdict(rule, trigger, seedType, zone, at)}").AppendLine();
        }
        if (decision is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Decision: {DecisionText(decision)}").AppendLine();
        }
        text.Append(CultureInfo.InvariantCulture, $"Highest permitted action (ignoring triggers and confirm): {highest?.ToWire() ?? "none"}").AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"Realtime deployments: {(realtime ? "enabled" : "disabled")}").AppendLine();
        if (next is { } change)
        {
            var what = trigger is { } t
                ? DecisionText(PolicyEvaluator.Evaluate(policy, t, change, seedType, zone))
                : PolicyEvaluator.HighestPermittedAction(policy, change, seedType, zone)?.ToWire() ?? "none";
            text.Append(CultureInfo.InvariantCulture, $"Next change: {Format(change)} ({Local(change, effectiveZone)} in {effectiveZone.Id}), to {what}").AppendLine();
        }
        else
        {
            text.AppendLine("Next change: none within 8 days");
        }
        return text.ToString();
    }

    private static string DecisionText(PolicyDecision decision) => decision.Kind switch
    {
        DecisionKind.Deny => "deny (no rule matches at any level the seed type supports)",
        _ => $"{decision.Kind.ToWire()} {decision.Action?.ToWire()} (matched: {string.Join(", ", decision.MatchedRules)})",
    };

    private static string RuleSummary(PolicyRule rule)
    {
        var text = new StringBuilder();
        text.Append(string.Join("/", rule.Actions.Select(a => a.ToWire())));
        text.Append(rule.Triggers is { } triggers ? $" for [{string.Join(", ", triggers.Select(t => t.ToWire()))}]" : " for any trigger");
        if (rule.Window is { } w)
        {
            text.Append(CultureInfo.InvariantCulture, $", window {PolicyJson.FormatTime(w.Start)}-{PolicyJson.FormatTime(w.End)}");
            if (w.IsOvernight) text.Append(" (overnight)");
            if (w.Days is { } days) text.Append(CultureInfo.InvariantCulture, $" on [{string.Join(", ", days.Select(PolicyJson.DayToWire))}]");
            if (w.Tz is not null) text.Append(CultureInfo.InvariantCulture, $" in {w.Tz}");
        }
        if (rule.Confirm) text.Append(", needs confirmation");
        return text.ToString();
    }

    private static string RuleVerdict(PolicyRule rule, Trigger? trigger, SeedType seedType, DateTimeZone? zone, Instant at)
    {
        var reasons = new List<string>();
        if (trigger is { } t && !rule.AppliesTo(t)) reasons.Add($"not for trigger {t.ToWire()}");
        if (rule.Window is { } w && !PolicyEvaluator.WindowMatches(w, at, zone)) reasons.Add(w.Tz is not null && w.Zone is null ? "unknown zone" : "window closed");
        var unsupported = rule.Actions.Where(a => !seedType.Supports(a)).Select(a => a.ToWire()).ToList();
        if (unsupported.Count > 0) reasons.Add($"ignored for this seed type: {string.Join(", ", unsupported)}");
        var applies = (trigger is null || rule.AppliesTo(trigger.Value)) && (rule.Window is null || PolicyEvaluator.WindowMatches(rule.Window, at, zone));
        var head = applies ? "applies now" : "does not apply now";
        return reasons.Count == 0 ? head : $"{head} ({string.Join("; ", reasons)})";
    }

    public static string Format(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    private static string Local(Instant instant, DateTimeZone zone) =>
        instant.InZone(zone).ToString("ddd uuuu-MM-dd HH:mm:ss;FFFFFFF o<g>", CultureInfo.InvariantCulture);
}

using System.Collections.Immutable;
using System.Globalization;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Server.Ui.Services;

public sealed record TimelineSegment(Instant Start, Instant End, DecisionKind Kind, PolicyAction? Action, double Left, double Width)
{
    public string Label => Kind switch
    {
        DecisionKind.Allow => Action?.ToWire() ?? "none",
        DecisionKind.Confirm => Action?.ToWire() + " (approval)",
        _ => "denied",
    };
}

public sealed record TimelineRow(string Label, string Hint, ImmutableArray<TimelineSegment> Segments);

public sealed record TimelineDay(string Label, double Left);

public sealed record WeekTimeline(Instant From, Instant Until, DateTimeZone Zone, double NowLeft, ImmutableArray<TimelineDay> Days, ImmutableArray<TimelineRow> Rows);

/// <summary>
/// When each trigger may do what over the next seven days, computed with the domain's PolicyEvaluator at the instants
/// PolicyExplainer names as the only ones where an answer can change (window edges, midnights, zone transitions).
/// One row per trigger, and one for the execution cap (HighestPermittedAction, which ignores triggers and confirm).
/// </summary>
public static class PolicyTimeline
{
    public static readonly Duration Span = Duration.FromDays(7);

    public static WeekTimeline Compute(Policy policy, SeedType seedType, DateTimeZone zone, Instant now)
    {
        var from = now.InZone(zone).Date.AtStartOfDayInZone(zone).ToInstant();
        var until = from + Span;
        var boundaries = new List<Instant> { from };
        boundaries.AddRange(PolicyExplainer.Candidates(policy, zone, from, until).Where(i => i < until));
        var rows = ImmutableArray.CreateBuilder<TimelineRow>();
        foreach (var trigger in Triggers.All)
        {
            rows.Add(new TimelineRow(trigger.ToWire(), HintFor(trigger), Segments(boundaries, until, from, at =>
            {
                var verdict = PolicyEvaluator.Decide(policy, trigger, at, seedType, zone);
                return (verdict.Kind, verdict.Action);
            })));
        }
        rows.Add(new TimelineRow("execution cap", "the most the garden may do with a seed it runs (ignores triggers and confirm)",
            Segments(boundaries, until, from, at => PolicyEvaluator.HighestPermittedAction(policy, at, seedType, zone) is { } a
                ? (DecisionKind.Allow, a)
                : (DecisionKind.Deny, null))));
        var days = Enumerable.Range(0, 7)
            .Select(i => from.InZone(zone).Date.PlusDays(i))
            .Select(d => new TimelineDay(d.ToString("ddd d", CultureInfo.InvariantCulture), Percent(d.AtStartOfDayInZone(zone).ToInstant(), from, until)))
            .ToImmutableArray();
        return new WeekTimeline(from, until, zone, Percent(now, from, until), days, rows.ToImmutable());
    }

    private static string HintFor(Trigger trigger) => trigger switch
    {
        Trigger.Manual => "Deploy now, retry, the garden's admin socket",
        Trigger.Scheduled => "the subscription's cron schedule",
        Trigger.Realtime => "a new or promoted seed",
        Trigger.PollOnConnect => "the garden (re)connecting",
        Trigger.Recall => "a recall of a seed the subscription runs",
        _ => "",
    };

    private static ImmutableArray<TimelineSegment> Segments(List<Instant> boundaries, Instant until, Instant from,
        Func<Instant, (DecisionKind Kind, PolicyAction? Action)> outcome)
    {
        var segments = ImmutableArray.CreateBuilder<TimelineSegment>();
        (DecisionKind Kind, PolicyAction? Action)? current = null;
        var start = from;
        foreach (var at in boundaries)
        {
            var o = outcome(at);
            if (current is null) { current = o; start = at; continue; }
            if (o == current.Value) continue;
            segments.Add(Segment(start, at, current.Value, from, until));
            current = o;
            start = at;
        }
        if (current is { } last) segments.Add(Segment(start, until, last, from, until));
        return segments.ToImmutable();
    }

    private static TimelineSegment Segment(Instant start, Instant end, (DecisionKind Kind, PolicyAction? Action) o, Instant from, Instant until)
    {
        var left = Percent(start, from, until);
        return new TimelineSegment(start, end, o.Kind, o.Action, left, Percent(end, from, until) - left);
    }

    private static double Percent(Instant at, Instant from, Instant until) =>
        Math.Clamp((at - from).TotalSeconds / (until - from).TotalSeconds * 100.0, 0, 100);
}

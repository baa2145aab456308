using Cronos;
using NodaTime;
using NodaTime.TimeZones;

namespace Sower.Messages.Domain;

/// <summary>
/// A subscription's cron schedule (REFERENCE §5.1): 5 fields, or 6 with leading seconds, or a macro such as <c>@daily</c>.
/// <c>@reboot</c> is recognised but never fires by time. Occurrences are wall-clock times in an IANA zone (NodaTime TZDB):
/// a wall-clock time skipped by a DST gap fires at the first instant after the gap; a repeated wall-clock time fires once,
/// at its first occurrence.
/// </summary>
public sealed class CronSchedule
{
    public const string Reboot = "@reboot";

    // Cronos works on DateTime; it is fed wall-clock times disguised as UTC, and NodaTime maps them to instants.
    private static readonly TimeZoneInfo WallClock = TimeZoneInfo.Utc;
    private static readonly ZoneLocalMappingResolver Resolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnStartOfIntervalAfter);
    // Offsets change by at most a few hours; a wall-clock time this far past an instant cannot map to or before it.
    private static readonly Period OffsetSlack = Period.FromHours(4);
    private const int MaxYearsSearched = 30;

    private readonly CronExpression? _cron;

    private CronSchedule(string expression, CronExpression? cron)
    {
        Expression = expression;
        _cron = cron;
    }

    public string Expression { get; }

    public bool IsReboot => _cron is null;

    public static bool TryParse(string? expression, out CronSchedule? schedule, out string? error)
    {
        schedule = null;
        if (string.IsNullOrWhiteSpace(expression))
        {
            error = "invalid cron expression \"\": expected 5 fields (minute hour day-of-month month day-of-week), 6 with seconds, or a macro such as @daily";
            return false;
        }
        var text = expression.Trim();
        if (string.Equals(text, Reboot, StringComparison.OrdinalIgnoreCase))
        {
            schedule = new CronSchedule(expression, null);
            error = null;
            return true;
        }
        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        if (!text.StartsWith('@') && fields is not (5 or 6))
        {
            error = $"invalid cron expression \"{expression}\": expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds, got {fields}";
            return false;
        }
        try
        {
            var format = fields == 6 || text.Equals("@every_second", StringComparison.OrdinalIgnoreCase) ? CronFormat.IncludeSeconds : CronFormat.Standard;
            schedule = new CronSchedule(expression, CronExpression.Parse(text, format));
            error = null;
            return true;
        }
        catch (CronFormatException e)
        {
            error = $"invalid cron expression \"{expression}\": {e.Message}";
            return false;
        }
    }

    public static CronSchedule Parse(string expression) =>
        TryParse(expression, out var schedule, out var error) ? schedule! : throw new ArgumentException(error, nameof(expression));

    /// <summary>The first fire time strictly after <paramref name="after"/>; null for @reboot or when none exists.</summary>
    public Instant? NextAfter(Instant after, DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (_cron is null) return null;
        // Mapping wall-clock to instants is monotonic, so no wall-clock time before after's own can map after it.
        var local = after.InZone(zone).LocalDateTime;
        var from = ToFakeUtc(local);
        var limit = from.AddYears(MaxYearsSearched);
        var inclusive = true;
        while (_cron.GetNextOccurrence(from, WallClock, inclusive) is { } next && next < limit)
        {
            var instant = ToInstant(next, zone);
            if (instant > after) return instant;
            from = next;
            inclusive = false;
        }
        return null;
    }

    /// <summary>The most recent fire time at or before <paramref name="atOrBefore"/> (for catching up a missed fire);
    /// null for @reboot or when none exists within 30 years.</summary>
    public Instant? LatestAtOrBefore(Instant atOrBefore, DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (_cron is null) return null;
        // A wall-clock time somewhat after atOrBefore's own may still map at or before it (a repeated hour), hence the slack.
        var upper = ToFakeUtc(atOrBefore.InZone(zone).LocalDateTime.Plus(OffsetSlack));
        var span = TimeSpan.FromMinutes(1);
        var oldest = upper.AddYears(-MaxYearsSearched);
        while (true)
        {
            var lower = upper - span < oldest ? oldest : upper - span;
            Instant? best = null;
            var from = lower;
            var inclusive = true;
            while (_cron.GetNextOccurrence(from, WallClock, inclusive) is { } next && next <= upper)
            {
                var instant = ToInstant(next, zone);
                if (instant > atOrBefore) break;
                best = instant;
                from = next;
                inclusive = false;
            }
            if (best is not null) return best;
            if (lower == oldest) return null;
            upper = lower;
            span *= 4;
        }
    }

    /// <summary>The fire times in (after, until], for tests and previews; bounded by <paramref name="max"/>.</summary>
    public IEnumerable<Instant> Between(Instant after, Instant until, DateTimeZone zone, int max = 1000)
    {
        var current = after;
        for (var i = 0; i < max && NextAfter(current, zone) is { } next && next <= until; i++)
        {
            yield return next;
            current = next;
        }
    }

    public override string ToString() => Expression;

    private static DateTime ToFakeUtc(LocalDateTime local) =>
        DateTime.SpecifyKind(local.ToDateTimeUnspecified(), DateTimeKind.Utc);

    private static Instant ToInstant(DateTime fakeUtc, DateTimeZone zone) =>
        LocalDateTime.FromDateTime(DateTime.SpecifyKind(fakeUtc, DateTimeKind.Unspecified)).InZone(zone, Resolver).ToInstant();
}

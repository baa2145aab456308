using System.Globalization;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;

namespace Sower.Server.Ui.Services;

/// <summary>The browser's time zone (from the cookie console.js sets); every time on a page is shown in it.</summary>
public sealed record BrowserZone(DateTimeZone Zone)
{
    public static readonly BrowserZone Utc = new(Zones.Utc);

    private static readonly LocalDateTimePattern Full = LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm:ss");
    private static readonly LocalDateTimePattern Short = LocalDateTimePattern.CreateWithInvariantCulture("MMM d, HH:mm");

    public static BrowserZone From(string? id) => Zones.TryGet(id, out var zone) && zone is not null ? new BrowserZone(zone) : Utc;

    public string Format(Instant instant) => Full.Format(instant.InZone(Zone).LocalDateTime);

    public string Format(Instant? instant) => instant is { } i ? Format(i) : "—";

    public string FormatShort(Instant instant) => Short.Format(instant.InZone(Zone).LocalDateTime);

    /// <summary>"3 min ago", "in 2 h", for an instant relative to now.</summary>
    public static string Relative(Instant instant, Instant now)
    {
        var delta = now - instant;
        var future = delta < Duration.Zero;
        var span = future ? -delta : delta;
        string amount = span.TotalSeconds switch
        {
            < 45 => "moments",
            < 90 * 60 => $"{Math.Max(1, (int)Math.Round(span.TotalMinutes))} min",
            < 36 * 3600 => $"{(int)Math.Round(span.TotalHours)} h",
            _ => $"{(int)Math.Round(span.TotalDays)} d",
        };
        if (amount == "moments") return future ? "in a moment" : "just now";
        return future ? $"in {amount}" : $"{amount} ago";
    }

    public string ZoneLabel => Zone.Id;

    public override string ToString() => Zone.Id.ToString(CultureInfo.InvariantCulture);
}

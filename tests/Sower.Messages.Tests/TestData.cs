using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using Sower.Messages.Domain;

namespace Sower.Messages.Tests;

internal static class TestData
{
    public static Policy Policy(string json)
    {
        var parsed = PolicyJson.Parse(JsonNode.Parse(json));
        Assert.True(parsed.Ok, string.Join("\n", parsed.Problems));
        return parsed.Value!;
    }

    public static Instant Utc(string iso) => InstantPattern.ExtendedIso.Parse(iso).GetValueOrThrow();

    public static DateTimeZone Zone(string id) => DateTimeZoneProviders.Tzdb[id];

    /// <summary>The instant of a wall-clock time in a zone (earlier mapping when ambiguous; throws in a gap).</summary>
    public static Instant Local(string zone, string isoLocal) =>
        LocalDateTimePattern.ExtendedIso.Parse(isoLocal).GetValueOrThrow().InZoneStrictly(Zone(zone)).ToInstant();

    public static Instant LocalEarlier(string zone, string isoLocal) =>
        LocalDateTimePattern.ExtendedIso.Parse(isoLocal).GetValueOrThrow().InZone(Zone(zone), NodaTime.TimeZones.Resolvers.LenientResolver).ToInstant();

    public static string Show(Instant instant) => InstantPattern.ExtendedIso.Format(instant);
}

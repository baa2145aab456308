using NodaTime;

namespace Sower.Messages.Domain;

/// <summary>IANA time zones from NodaTime's bundled TZDB, independent of the host's zone files.</summary>
public static class Zones
{
    public const string UtcId = "Etc/UTC";

    public static DateTimeZone Utc { get; } = DateTimeZoneProviders.Tzdb[UtcId];

    public static bool TryGet(string? id, out DateTimeZone? zone)
    {
        zone = id is null ? null : DateTimeZoneProviders.Tzdb.GetZoneOrNull(id);
        return zone is not null;
    }

    public static string UnknownZone(string id) => $"unknown time zone \"{id}\"";
}

using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>
/// The host's IANA zone (REFERENCE §5.1, pitfall 32): <c>/etc/timezone</c>, else the target of the <c>/etc/localtime</c> link
/// below a <c>zoneinfo/</c> directory, else <c>Etc/UTC</c>. Never throws and never shells out.
/// </summary>
public static class HostTimeZoneDetector
{
    public const string Fallback = "Etc/UTC";

    public static string Detect(string timezoneFile = "/etc/timezone", string localtimeLink = "/etc/localtime")
    {
        try
        {
            if (File.Exists(timezoneFile))
            {
                var line = File.ReadLines(timezoneFile).FirstOrDefault()?.Trim();
                if (!string.IsNullOrEmpty(line) && Zones.TryGet(line, out _)) return line;
            }
            var target = new FileInfo(localtimeLink).LinkTarget;
            if (target is not null)
            {
                const string marker = "zoneinfo/";
                var at = target.LastIndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var id = target[(at + marker.Length)..];
                    if (id.StartsWith("posix/", StringComparison.Ordinal)) id = id["posix/".Length..];
                    if (Zones.TryGet(id, out _)) return id;
                }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Fallback;
    }
}

using System.Globalization;

namespace Sower.Activator;

/// <summary>The activator's own refusal and failure texts (REFERENCE §7.1–§7.6), in one place.</summary>
public static class ActivatorMessages
{
    public const string MustBeRootInSocketMode = "activator must be run as root in socket mode";
    public const string RootRequired = "root required";
    public const string UsernameMismatch = "username mismatch";
    public const string RequestTooLarge = "request too large (limit 64 KiB)";

    public static string RequestNotDelivered(TimeSpan limit) => $"request not received within {Seconds(limit)}s";

    public static string TimedOut(TimeSpan limit) => $"timed out after {Seconds(limit)}s";

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}

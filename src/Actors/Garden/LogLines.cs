using System.Text.RegularExpressions;
using NodaTime;
using NodaTime.Text;

namespace Sower.Actors.Garden;

/// <summary>Seed log lines: <c>&lt;ISO-8601 UTC&gt; [garden] &lt;text&gt;</c>, with ANSI escape sequences removed from everything collected.</summary>
public static partial class LogLines
{
    public static string Garden(Instant now, string text) => $"{InstantPattern.ExtendedIso.Format(now)} [garden] {StripAnsi(text)}";

    public static string StripAnsi(string text) => Ansi().Replace(text, "");

    [GeneratedRegex(@"\x1B(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)|[@-Z\\-_])")]
    private static partial Regex Ansi();
}

using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sower.Messages.GardenDaemon;

/// <summary>One line of <c>nix store diff-closures</c>: a package whose versions or size changed.</summary>
/// <param name="From">Versions in the running closure (empty: the package is new); <c>ε</c> stands for "no version".</param>
/// <param name="To">Versions in the new closure (empty: the package is gone).</param>
/// <param name="SizeDeltaKiB">The size change Nix printed (it prints none below 8 KiB).</param>
public sealed record PackageChange(string Name, ImmutableArray<string> From, ImmutableArray<string> To, double? SizeDeltaKiB)
{
    public bool VersionChanged => !From.SequenceEqual(To);
}

/// <summary>
/// Reads the output of <c>nix store diff-closures OLD NEW</c> (verified on Nix 2.8: one line per package,
/// <c>NAME: FROM → TO, +1.5 KiB</c>, <c>∅</c> for absent, sizes coloured with ANSI escapes even when not on a terminal)
/// and turns it, with the two closure sizes, into the short "what changes" summary of the deployment log.
/// </summary>
public static partial class ClosureDiff
{
    /// <summary>At most this many package lines in the summary; the rest is counted.</summary>
    public const int MaxPackageLines = 12;

    /// <summary>No line of the summary is longer than this (a hostile package name cannot flood the log).</summary>
    public const int MaxLineLength = 160;

    private const string Absent = "∅";

    [GeneratedRegex(@"\x1B\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"^(?<sign>[+-])(?<num>[0-9]+(\.[0-9]+)?) KiB$")]
    private static partial Regex Size();

    /// <summary>Parses every well-formed line; anything else (warnings, blank lines) is ignored.</summary>
    public static ImmutableArray<PackageChange> Parse(string output)
    {
        var changes = ImmutableArray.CreateBuilder<PackageChange>();
        foreach (var raw in Ansi().Replace(output, "").Split('\n'))
        {
            var line = raw.Trim('\r', ' ', '\t');
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0) continue;
            var name = line[..colon];
            if (name.Contains(' ', StringComparison.Ordinal)) continue;
            var rest = line[(colon + 2)..];
            ImmutableArray<string> from = [], to = [];
            double? size = null;
            var arrow = rest.IndexOf(" → ", StringComparison.Ordinal);
            if (arrow >= 0)
            {
                from = Versions(rest[..arrow]);
                var after = rest[(arrow + 3)..];
                // The size, when printed, is the last ", "-separated item; versions themselves are ", "-separated too.
                var lastComma = after.LastIndexOf(", ", StringComparison.Ordinal);
                if (lastComma >= 0 && ParseSize(after[(lastComma + 2)..]) is { } s)
                {
                    size = s;
                    after = after[..lastComma];
                }
                to = Versions(after);
            }
            else if (ParseSize(rest) is { } s)
            {
                size = s;
            }
            else
            {
                continue;
            }
            changes.Add(new PackageChange(name, from, to, size));
        }
        return changes.ToImmutable();
    }

    private static ImmutableArray<string> Versions(string text) =>
        text.Trim() == Absent ? [] : [.. text.Split(", ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static double? ParseSize(string text)
    {
        var m = Size().Match(text.Trim());
        if (!m.Success) return null;
        var value = double.Parse(m.Groups["num"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        return m.Groups["sign"].Value == "-" ? -value : value;
    }

    /// <summary>
    /// The summary lines: a headline (packages changed, added, removed; the closure size delta when both sizes are known),
    /// then up to <see cref="MaxPackageLines"/> package lines, version changes first, then the biggest size changes.
    /// </summary>
    public static ImmutableArray<string> Summarize(ImmutableArray<PackageChange> changes, long? oldClosureBytes, long? newClosureBytes)
    {
        var lines = ImmutableArray.CreateBuilder<string>();
        var added = changes.Count(c => c.From.IsEmpty && !c.To.IsEmpty);
        var removed = changes.Count(c => !c.From.IsEmpty && c.To.IsEmpty);
        var upgraded = changes.Count(c => !c.From.IsEmpty && !c.To.IsEmpty && c.VersionChanged);
        var head = new StringBuilder("what changes: ");
        if (changes.IsEmpty) head.Append("no package changes");
        else head.Append(CultureInfo.InvariantCulture, $"{upgraded} version change(s), {added} added, {removed} removed");
        if (oldClosureBytes is { } o && newClosureBytes is { } n)
        {
            head.Append(CultureInfo.InvariantCulture, $"; closure {FormatBytes(o)} → {FormatBytes(n)} ({FormatDelta(n - o)})");
        }
        lines.Add(Bound(head.ToString()));
        var ordered = changes.OrderByDescending(c => c.VersionChanged).ThenByDescending(c => Math.Abs(c.SizeDeltaKiB ?? 0)).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        foreach (var c in ordered.Take(MaxPackageLines)) lines.Add(Bound("  " + Describe(c)));
        if (ordered.Count > MaxPackageLines) lines.Add($"  … and {ordered.Count - MaxPackageLines} more");
        return lines.ToImmutable();
    }

    public static string Describe(PackageChange c)
    {
        var parts = new List<string>();
        if (c.VersionChanged) parts.Add($"{Show(c.From)} → {Show(c.To)}");
        if (c.SizeDeltaKiB is { } kib) parts.Add(FormatDelta((long)Math.Round(kib * 1024)));
        return $"{Clean(c.Name)}: {string.Join(", ", parts)}";
    }

    private static string Show(ImmutableArray<string> versions) => versions.IsEmpty ? Absent : string.Join(", ", versions.Select(Clean));

    // Names and versions come from store paths; keep only printable characters.
    private static string Clean(string text) => new(text.Where(ch => !char.IsControl(ch)).ToArray());

    private static string Bound(string line) => line.Length <= MaxLineLength ? line : string.Concat(line.AsSpan(0, MaxLineLength - 1), "…");

    public static string FormatBytes(long bytes)
    {
        double value = Math.Abs(bytes);
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        var sign = bytes < 0 ? "-" : "";
        return unit == 0 ? $"{sign}{value:0} B" : string.Create(CultureInfo.InvariantCulture, $"{sign}{value:0.0} {units[unit]}");
    }

    public static string FormatDelta(long bytes) => (bytes >= 0 ? "+" : "") + FormatBytes(bytes);
}

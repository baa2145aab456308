using System.Globalization;

namespace Sower.Activator;

/// <summary>Reads which generation a Nix profile points to (<c>profile → profile-N-link → store path</c>).</summary>
public static class ProfileGenerations
{
    /// <summary>The current generation number, or null when the profile does not exist or is not a generation link.</summary>
    public static int? Current(string profile)
    {
        var target = new FileInfo(profile).LinkTarget;
        if (target is null) return null;
        var name = Path.GetFileName(target);
        var prefix = Path.GetFileName(profile) + "-";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith("-link", StringComparison.Ordinal)) return null;
        var number = name[prefix.Length..^"-link".Length];
        return int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }
}

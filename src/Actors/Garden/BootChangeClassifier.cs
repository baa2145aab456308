namespace Sower.Actors.Garden;

/// <summary>
/// Which top-level entries of a NixOS system differ between the running system and a new one: a symlink by its canonical
/// target, a file by its content with each system's own store path blanked out (scripts such as <c>activate</c> and
/// <c>bin/switch-to-configuration</c> name their own system), a directory entry by entry. Pure over the file system, like
/// <see cref="RebootDecider"/>, so tests run it on trees in a temp directory; <see cref="Sower.Messages.GardenDaemon.HostConditionRules"/> decides.
/// </summary>
public static class BootChangeClassifier
{
    private const long MaxFileBytes = 4 * 1024 * 1024;
    private const int MaxEntries = 2000;

    /// <summary>The differing top-level names (e.g. <c>kernel</c>, <c>etc</c>), or null with <paramref name="error"/> when they cannot be compared.</summary>
    public static IReadOnlyCollection<string>? Differing(string running, string next, out string? error)
    {
        error = null;
        try
        {
            if (!Directory.Exists(running) || !Directory.Exists(next))
            {
                error = $"{(Directory.Exists(running) ? next : running)} is not a directory";
                return null;
            }
            var names = Directory.EnumerateFileSystemEntries(running).Concat(Directory.EnumerateFileSystemEntries(next))
                .Select(Path.GetFileName).OfType<string>().Distinct(StringComparer.Ordinal).Take(MaxEntries + 1).ToList();
            if (names.Count > MaxEntries) { error = "too many entries"; return null; }
            var budget = MaxEntries;
            return names.Where(n => !Same(Path.Combine(running, n), running, Path.Combine(next, n), next, 0, ref budget))
                .OrderBy(n => n, StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return null;
        }
    }

    private static bool Same(string a, string aRoot, string b, string bRoot, int depth, ref int budget)
    {
        if (--budget < 0) throw new IOException("too many entries to compare");
        var ia = new FileInfo(a);
        var ib = new FileInfo(b);
        var la = ia.LinkTarget is not null;
        var lb = ib.LinkTarget is not null;
        if (la || lb)
        {
            if (!(la && lb)) return false;
            // Links inside the system itself (rare) compare by where they point relative to it.
            var ta = SymlinkResolver.Canonicalize(a, out _);
            var tb = SymlinkResolver.Canonicalize(b, out _);
            return ta is not null && tb is not null && (ta == tb || Relative(ta, aRoot) is { } ra && ra == Relative(tb, bRoot));
        }
        var da = Directory.Exists(a);
        var db = Directory.Exists(b);
        if (da || db)
        {
            if (!(da && db) || depth > 4) return false;
            var names = Directory.EnumerateFileSystemEntries(a).Concat(Directory.EnumerateFileSystemEntries(b))
                .Select(Path.GetFileName).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            foreach (var n in names)
            {
                if (!Same(Path.Combine(a, n), aRoot, Path.Combine(b, n), bRoot, depth + 1, ref budget)) return false;
            }
            return true;
        }
        if (!ia.Exists || !ib.Exists) return ia.Exists == ib.Exists;
        if (ia.Length > MaxFileBytes || ib.Length > MaxFileBytes) return false;
        var ca = File.ReadAllText(a).Replace(aRoot, "@system@", StringComparison.Ordinal);
        var cb = File.ReadAllText(b).Replace(bRoot, "@system@", StringComparison.Ordinal);
        return ca == cb;
    }

    private static string? Relative(string path, string root) =>
        path.StartsWith(root + "/", StringComparison.Ordinal) ? path[root.Length..] : null;
}

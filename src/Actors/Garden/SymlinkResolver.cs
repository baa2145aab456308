namespace Sower.Actors.Garden;

/// <summary>Resolves a path component by component, following every symlink, with at most 40 hops and loop detection (§5.12).</summary>
public static class SymlinkResolver
{
    public const int MaxHops = 40;

    /// <summary>The canonical path, or null with <paramref name="error"/> when it cannot be resolved.</summary>
    public static string? Canonicalize(string path, out string? error)
    {
        error = null;
        var pending = new Stack<string>(Split(path).Reverse());
        var resolved = new List<string>();
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".") continue;
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            var candidate = "/" + string.Join('/', resolved.Append(part));
            FileSystemInfo info = new FileInfo(candidate);
            if (!info.Exists && !(info = new DirectoryInfo(candidate)).Exists && info.LinkTarget is null)
            {
                error = $"{candidate}: no such file or directory";
                return null;
            }
            var target = info.LinkTarget;
            if (target is null) { resolved.Add(part); continue; }
            if (++hops > MaxHops) { error = $"{path}: too many levels of symbolic links"; return null; }
            if (target.StartsWith('/')) resolved.Clear();
            foreach (var t in Split(target).Reverse()) pending.Push(t);
        }
        return "/" + string.Join('/', resolved);
    }

    private static IEnumerable<string> Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}

using Sower.Messages.Domain;

namespace Sower.Activator;

/// <summary>Checks on files inside validated store paths, so that nothing outside /nix/store is ever executed.</summary>
public static class StoreFiles
{
    private static readonly Lazy<string> CanonicalStore = new(() => (Native.RealPath(StorePath.StoreDir) ?? StorePath.StoreDir.TrimEnd('/')) + "/");

    /// <summary>
    /// The file <paramref name="relative"/> inside <paramref name="storePath"/> with every symlink resolved, or an error:
    /// <c>path must be in /nix/store</c> when it resolves outside the store, <paramref name="missing"/> when absent.
    /// </summary>
    public static (string? Resolved, string? Error) ResolveExecutable(string storePath, string relative, string missing)
    {
        var full = storePath + "/" + relative;
        var resolved = Native.RealPath(full);
        if (resolved is null) return (null, missing);
        if (!resolved.StartsWith(CanonicalStore.Value, StringComparison.Ordinal)) return (null, StorePath.NotInStore);
        if (Directory.Exists(resolved)) return (null, missing);
        return (resolved, null);
    }
}

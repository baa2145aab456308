namespace Sower.Messages.Domain;

/// <summary>
/// The strict store-path check of REFERENCE §7.3, shared by server, CLI and activator: "/nix/store/" followed by
/// exactly one component of 32 Nix base-32 characters, '-', and a 1–211 character name from A-Za-z0-9+-._?=
/// that does not start with '.'.
/// </summary>
public static class StorePath
{
    public const string StoreDir = "/nix/store/";
    public const string NotInStore = "path must be in /nix/store";
    public const string Invalid = "invalid path";
    private const int HashLength = 32;
    private const int MaxNameLength = 211;

    /// <summary>Returns null when <paramref name="path"/> is a valid store path, otherwise the exact error text.</summary>
    public static string? Validate(string? path)
    {
        if (path is null || !path.StartsWith(StoreDir, StringComparison.Ordinal)) return NotInStore;
        var component = path.AsSpan(StoreDir.Length);
        if (component.Length < HashLength + 2 || component.Length > HashLength + 1 + MaxNameLength) return Invalid;
        for (var i = 0; i < HashLength; i++)
        {
            if (!IsBase32(component[i])) return Invalid;
        }
        if (component[HashLength] != '-') return Invalid;
        var name = component[(HashLength + 1)..];
        if (name[0] == '.') return Invalid;
        foreach (var c in name)
        {
            if (!IsNameChar(c)) return Invalid;
        }
        return null;
    }

    public static bool IsValid(string? path) => Validate(path) is null;

    /// <summary>The part of the base name after the hash and its dash, e.g. "nixos-system-web01-24.05".</summary>
    public static string NameOf(string validPath) => validPath[(StoreDir.Length + HashLength + 1)..];

    // Nix base-32 omits e, o, u and t.
    private static bool IsBase32(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'd') or (>= 'f' and <= 'n') or (>= 'p' and <= 's') or (>= 'v' and <= 'z');

    private static bool IsNameChar(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '+' or '-' or '.' or '_' or '?' or '=';
}

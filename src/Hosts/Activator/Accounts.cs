namespace Sower.Activator;

/// <summary>A local account as the passwd database (NSS) knows it.</summary>
public sealed record UserAccount(string Name, uint Uid, uint Gid, string Home);

/// <summary>Account and group lookups; an interface so the request core can be driven in-process by tests.</summary>
public interface IAccounts
{
    UserAccount? FindUser(string name);

    UserAccount? FindUser(uint uid);

    uint? FindGroup(string name);

    /// <summary>All groups of the user (primary and supplementary) from the group database.</summary>
    IReadOnlyList<uint> GroupsOf(UserAccount user);
}

/// <summary>The real databases through libc/NSS (the same answers as getent).</summary>
public sealed class SystemAccounts : IAccounts
{
    public static readonly SystemAccounts Instance = new();

    public UserAccount? FindUser(string name)
    {
        // Never hand libc a name it could truncate (NUL) or that no account can have.
        if (!IsPlausibleName(name)) return null;
        return Native.GetPasswdByName(name) is { } p ? new UserAccount(p.Name, p.Uid, p.Gid, p.Home) : null;
    }

    public UserAccount? FindUser(uint uid) =>
        Native.GetPasswdByUid(uid) is { } p ? new UserAccount(p.Name, p.Uid, p.Gid, p.Home) : null;

    public uint? FindGroup(string name) => IsPlausibleName(name) ? Native.GetGroupIdByName(name) : null;

    public IReadOnlyList<uint> GroupsOf(UserAccount user) => Native.GetGroupList(user.Name, user.Gid);

    /// <summary>Account and group names: 1–256 characters from A-Za-z0-9._-@$ (no NUL, '/', ':', whitespace, control).</summary>
    public static bool IsPlausibleName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 256 || name[0] == '-') return false;
        foreach (var c in name)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-' or '@' or '$')) return false;
        }
        return true;
    }
}

/// <summary>Who the activator itself runs as: decides pipe-mode privileges (REFERENCE §7.1).</summary>
public sealed record ActivatorProcessIdentity(uint EffectiveUid, string UserName)
{
    public bool IsRoot => EffectiveUid == 0;

    public static ActivatorProcessIdentity Current()
    {
        var euid = Native.geteuid();
        return new ActivatorProcessIdentity(euid, SystemAccounts.Instance.FindUser(euid)?.Name ?? euid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

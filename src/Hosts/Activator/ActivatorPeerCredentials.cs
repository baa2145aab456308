namespace Sower.Activator;

/// <summary>Who is on the other end of a socket connection: SO_PEERCRED plus the supplementary groups.</summary>
public sealed record ActivatorPeerCredentials(int Pid, uint Uid, uint Gid, IReadOnlyList<uint> Groups)
{
    /// <summary>
    /// Reads the peer of a connected Unix socket. Supplementary groups come from SO_PEERGROUPS, or, on kernels without it,
    /// from the peer user's group list. Returns null when the credentials cannot be read.
    /// </summary>
    public static ActivatorPeerCredentials? Read(int fd, IAccounts accounts)
    {
        if (!Native.TryGetPeerCred(fd, out var cred)) return null;
        var groups = Native.TryGetPeerGroups(fd);
        if (groups is null)
        {
            var user = accounts.FindUser(cred.Uid);
            groups = user is null ? [] : [.. accounts.GroupsOf(user)];
        }
        return new ActivatorPeerCredentials(cred.Pid, cred.Uid, cred.Gid, groups);
    }
}

/// <summary>The authorization rule of REFERENCE §7.5 (pitfall 4: supplementary groups count too).</summary>
public static class Authorization
{
    public const string Unauthorized = "unauthorized";
    public const string NoPeerCredentials = "failed to get peer credentials";

    public static bool IsAuthorized(ActivatorPeerCredentials peer, IReadOnlySet<uint> allowedGids) =>
        peer.Uid == 0 || allowedGids.Contains(peer.Gid) || peer.Groups.Any(allowedGids.Contains);
}

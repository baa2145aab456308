using System.Runtime.InteropServices;

namespace Sower.Activator;

/// <summary>
/// The few libc calls .NET does not expose: identities, socket peer credentials, account and group lookups
/// (through NSS, like getent), realpath, umask, chown, kill and close-on-exec. Linux/glibc layouts.
/// </summary>
internal static unsafe partial class Native
{
    private const string Libc = "libc";

    public const int SOL_SOCKET = 1;
    public const int SO_TYPE = 3;
    public const int SO_PEERCRED = 17;
    public const int SO_ACCEPTCONN = 30;
    public const int SO_PEERGROUPS = 59;
    public const int SIGKILL = 9;
    public const int ERANGE = 34;
    private const int F_GETFD = 1;
    private const int F_SETFD = 2;
    private const int FD_CLOEXEC = 1;

    [LibraryImport(Libc)] public static partial uint geteuid();
    [LibraryImport(Libc)] public static partial uint getuid();
    [LibraryImport(Libc)] public static partial int getpid();
    [LibraryImport(Libc)] public static partial uint umask(uint mask);
    [LibraryImport(Libc, SetLastError = true)] public static partial int kill(int pid, int sig);
    [LibraryImport(Libc, SetLastError = true)] private static partial int fcntl(int fd, int cmd, int arg);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int rename(string from, string to);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int chown(string path, uint owner, uint group);
    [LibraryImport(Libc, SetLastError = true)] public static partial int getsockopt(int fd, int level, int optname, void* optval, ref uint optlen);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] private static partial nint realpath(string path, nint resolved);
    [LibraryImport(Libc)] private static partial void free(nint ptr);
    [LibraryImport(Libc, StringMarshalling = StringMarshalling.Utf8)] private static partial int getpwnam_r(string name, Passwd* pwd, byte* buf, nuint buflen, Passwd** result);
    [LibraryImport(Libc)] private static partial int getpwuid_r(uint uid, Passwd* pwd, byte* buf, nuint buflen, Passwd** result);
    [LibraryImport(Libc, StringMarshalling = StringMarshalling.Utf8)] private static partial int getgrnam_r(string name, Group* grp, byte* buf, nuint buflen, Group** result);
    [LibraryImport(Libc, StringMarshalling = StringMarshalling.Utf8)] private static partial int getgrouplist(string user, uint group, uint* groups, int* ngroups);

    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public nint Name;
        public nint Password;
        public uint Uid;
        public uint Gid;
        public nint Gecos;
        public nint Dir;
        public nint Shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Group
    {
        public nint Name;
        public nint Password;
        public uint Gid;
        public nint Members;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct UCred
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }

    public readonly record struct PasswdEntry(string Name, uint Uid, uint Gid, string Home);

    public static PasswdEntry? GetPasswdByName(string name) => LookupPasswd(name, 0, byName: true);

    public static PasswdEntry? GetPasswdByUid(uint uid) => LookupPasswd(null, uid, byName: false);

    private static PasswdEntry? LookupPasswd(string? name, uint uid, bool byName)
    {
        for (nuint size = 4096; size <= 1 << 20; size *= 4)
        {
            var buf = new byte[size];
            Passwd pwd;
            Passwd* result = null;
            int rc;
            fixed (byte* b = buf)
            {
                rc = byName ? getpwnam_r(name!, &pwd, b, size, &result) : getpwuid_r(uid, &pwd, b, size, &result);
                if (rc == ERANGE) continue;
                if (rc != 0 || result == null) return null;
                return new PasswdEntry(Marshal.PtrToStringUTF8(pwd.Name) ?? "", pwd.Uid, pwd.Gid, Marshal.PtrToStringUTF8(pwd.Dir) ?? "/");
            }
        }
        return null;
    }

    public static uint? GetGroupIdByName(string name)
    {
        for (nuint size = 4096; size <= 1 << 22; size *= 4)
        {
            var buf = new byte[size];
            Group grp;
            Group* result = null;
            fixed (byte* b = buf)
            {
                var rc = getgrnam_r(name, &grp, b, size, &result);
                if (rc == ERANGE) continue;
                if (rc != 0 || result == null) return null;
                return grp.Gid;
            }
        }
        return null;
    }

    /// <summary>The user's groups from the group database (initgroups semantics), including <paramref name="primaryGid"/>.</summary>
    public static uint[] GetGroupList(string user, uint primaryGid)
    {
        var count = 64;
        while (count <= 1 << 16)
        {
            var groups = new uint[count];
            var n = count;
            fixed (uint* g = groups)
            {
                if (getgrouplist(user, primaryGid, g, &n) >= 0) return groups[..n];
            }
            count = Math.Max(n, count * 2);
        }
        return [primaryGid];
    }

    public static bool IsSocket(int fd)
    {
        int type = 0;
        uint len = sizeof(int);
        return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, ref len) == 0;
    }

    public static bool IsListening(int fd)
    {
        int value = 0;
        uint len = sizeof(int);
        return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, ref len) == 0 && value != 0;
    }

    public static bool TryGetPeerCred(int fd, out UCred cred)
    {
        UCred c = default;
        uint len = (uint)sizeof(UCred);
        var ok = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, ref len) == 0 && len == sizeof(UCred);
        cred = c;
        return ok;
    }

    /// <summary>The peer's supplementary groups (SO_PEERGROUPS, Linux ≥ 4.13), or null when the kernel cannot tell.</summary>
    public static uint[]? TryGetPeerGroups(int fd)
    {
        uint len = 64 * sizeof(uint);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var groups = new uint[Math.Max(1, len / sizeof(uint))];
            fixed (uint* g = groups)
            {
                var l = (uint)(groups.Length * sizeof(uint));
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, ref l) == 0) return groups[..(int)(l / sizeof(uint))];
                if (Marshal.GetLastPInvokeError() != ERANGE) return null;
                len = Math.Max(l, len * 2);
            }
        }
        return null;
    }

    /// <summary>The canonical path with every symlink resolved, or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = realpath(path, 0);
        if (p == 0) return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            free(p);
        }
    }

    /// <summary>Keeps an inherited descriptor (LISTEN_FDS) out of every child process.</summary>
    public static void SetCloseOnExec(int fd)
    {
        var flags = fcntl(fd, F_GETFD, 0);
        if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

internal static unsafe partial class Native
{
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_BASIC_STATS = 0x7ff;
#pragma warning disable IDE1006 // sys/stat.h's names, so the mode test reads like the man page
    public const uint S_IFMT = 0xF000;
    public const uint S_IFSOCK = 0xC000;
#pragma warning restore IDE1006

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    public readonly record struct FileStatus(uint Mode, uint Uid, uint Gid)
    {
        public bool IsSocket => (Mode & S_IFMT) == S_IFSOCK;
    }

    /// <summary>lstat-like, via statx (whose layout is the same on every architecture); null when the path is absent.</summary>
    public static FileStatus? LStat(string path)
    {
        var buffer = stackalloc byte[256];
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buffer) != 0) return null;
        // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode
        return new FileStatus(*(ushort*)(buffer + 28), *(uint*)(buffer + 20), *(uint*)(buffer + 24));
    }
}

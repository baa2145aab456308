using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sower.Garden;

/// <summary>SO_PEERCRED of a connected Unix socket, plus the peer's supplementary groups from /proc/&lt;pid&gt;/status.</summary>
public sealed record GardenPeerCredentials(int Pid, uint Uid, uint Gid, IReadOnlyList<uint> Groups)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    [StructLayout(LayoutKind.Sequential)]
    private struct UCred
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }

#pragma warning disable SYSLIB1054 // one fixed-layout struct out-parameter; DllImport keeps the project free of unsafe blocks
    [DllImport("libc", SetLastError = true)]
    private static extern int getsockopt(int socket, int level, int option, out UCred value, ref int length);
#pragma warning restore SYSLIB1054

    public static GardenPeerCredentials? Of(Socket socket)
    {
        var length = Marshal.SizeOf<UCred>();
        if (getsockopt((int)socket.Handle, SolSocket, SoPeerCred, out var cred, ref length) != 0) return null;
        return new GardenPeerCredentials(cred.Pid, cred.Uid, cred.Gid, SupplementaryGroups(cred.Pid));
    }

    private static IReadOnlyList<uint> SupplementaryGroups(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("Groups:", StringComparison.Ordinal)) continue;
                return line["Groups:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
                    .Select(g => uint.TryParse(g, out var v) ? v : uint.MaxValue).Where(v => v != uint.MaxValue).ToList();
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return [];
    }

    /// <summary>Allowed if root, the socket owner, or the socket's group is the peer's primary or any supplementary group (§5.15).</summary>
    public bool IsAllowed(uint socketOwner, uint socketGroup) =>
        Uid == 0 || Uid == socketOwner || Gid == socketGroup || Groups.Contains(socketGroup);
}

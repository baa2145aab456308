using System.Runtime.InteropServices;

namespace Sower.Testing.Processes;

public static partial class Native
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    /// <summary>Signals a whole process group (the processes are started with setsid, so pgid = pid).</summary>
    public static void KillGroup(int pgid, int signal) => _ = kill(-pgid, signal);
}

using System.Runtime.InteropServices;

namespace Sower.Garden;

internal static class NativeUmask
{
#pragma warning disable SYSLIB1054 // one integer argument, nothing to marshal
    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint Umask(uint mask);
#pragma warning restore SYSLIB1054

    public static void Set(uint mask) => Umask(mask);
}

using System.Runtime.InteropServices;

namespace Sower.Garden;

/// <summary>The owner uid and group gid of a file via libc stat (x86-64 and arm64 layouts).</summary>
public static class FileOwner
{
#pragma warning disable SYSLIB1054 // a raw buffer for struct stat; no marshalling to generate
    [DllImport("libc", SetLastError = true, EntryPoint = "stat")]
    private static extern int Stat(string path, byte[] buffer);
#pragma warning restore SYSLIB1054

    public static (uint Uid, uint Gid)? Of(string path)
    {
        var buffer = new byte[512];
        if (Stat(path, buffer) != 0) return null;
        // x86-64: dev(8) ino(8) nlink(8) mode(4) uid(4) gid(4); arm64: dev(8) ino(8) mode(4) nlink(4) uid(4) gid(4).
        var offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 28 : 24;
        return (BitConverter.ToUInt32(buffer, offset), BitConverter.ToUInt32(buffer, offset + 4));
    }
}

namespace Sower.Server.Configuration;

/// <summary><c>&lt;data_dir&gt;/server.lock</c>: every running <c>sower-server</c> holds a shared lock on it for its
/// lifetime, and <c>sower-server admin-token</c> needs it exclusively, so the offline break-glass never writes the
/// journal under a running server (flock(2) through .NET's FileShare: None is exclusive, ReadWrite is shared). The lock
/// dies with its process, so a crashed server never leaves a stale one.</summary>
public sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = "server.lock";

    private readonly FileStream _stream;

    private DataDirectoryLock(FileStream stream) => _stream = stream;

    public static string PathIn(string dataDir) => Path.Combine(dataDir, FileName);

    /// <summary>The server's shared lock, or null when an exclusive holder (the break-glass) has it.</summary>
    public static DataDirectoryLock? TryShared(string dataDir) => TryOpen(dataDir, FileShare.ReadWrite);

    /// <summary>The break-glass's exclusive lock, or null when a server (or another break-glass) holds it.</summary>
    public static DataDirectoryLock? TryExclusive(string dataDir) => TryOpen(dataDir, FileShare.None);

    private static DataDirectoryLock? TryOpen(string dataDir, FileShare share)
    {
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = share };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            return new DataDirectoryLock(new FileStream(PathIn(dataDir), options));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}

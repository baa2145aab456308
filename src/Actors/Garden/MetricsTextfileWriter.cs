using System.Text;

namespace Sower.Actors.Garden;

/// <summary>
/// Replaces a metrics textfile atomically: the text goes to a temp file in the same directory (whose name does not end in
/// <c>.prom</c>, so node_exporter never reads it), is flushed to disk, made 0644 (node_exporter runs as another user; the
/// garden's umask is 077) and renamed over the target. A reader sees the old file or the new one, never a part.
/// </summary>
public static class MetricsTextfileWriter
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Throws IOException or UnauthorizedAccessException when it cannot; the target is then unchanged and no temp file is left.</summary>
    public static void Write(string path, string text)
    {
        var directory = Path.GetDirectoryName(path) ?? throw new IOException($"{path} has no directory");
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Environment.ProcessId + ".tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = Mode;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            // The create mode is cut by the umask: set it explicitly.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, Mode);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the write error is the one to report */ }
            throw;
        }
    }
}

using System.Runtime.InteropServices;

namespace Sower.Activator;

/// <summary>
/// The deadlines on disk: one JSON file per deadline in <c>rollback_state_dir</c> (0755, files 0644 and root-owned, so the
/// garden may read why a rollback happened but never change it). Writes are atomic (temporary file + rename); every
/// read-modify-write runs under an exclusive lock on <c>.lock</c>, shared by requests, timers and the boot resume.
/// </summary>
public sealed class RollbackStore(string dir)
{
    public string Dir => dir;

    public string FileOf(string id) => Path.Combine(dir, id + ".json");

    /// <summary>Where a detached timer process writes its log (next to the deadline).</summary>
    public string LogOf(string id) => Path.Combine(dir, id + ".log");

    public RollbackDeadline? Load(string id)
    {
        var file = FileOf(id);
        try
        {
            return File.Exists(file) ? RollbackDeadline.FromJson(File.ReadAllText(file)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public IReadOnlyList<RollbackDeadline> All()
    {
        if (!Directory.Exists(dir)) return [];
        var list = new List<RollbackDeadline>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
        {
            try
            {
                if (RollbackDeadline.FromJson(File.ReadAllText(file)) is { } d && Path.GetFileName(file) == d.Id + ".json") list.Add(d);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return list;
    }

    public void Save(RollbackDeadline d)
    {
        EnsureDir();
        var file = FileOf(d.Id);
        var temporary = file + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temporary, d.ToJson());
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        if (Native.rename(temporary, file) != 0)
        {
            File.Delete(temporary);
            throw new IOException($"cannot save {file}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Takes the store's exclusive lock, waiting up to <paramref name="limit"/>; throws <see cref="TimeoutException"/> after.</summary>
    public IDisposable Lock(TimeSpan limit)
    {
        EnsureDir();
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Unix: other processes' opens fail until it is released.
                return new FileStream(Path.Combine(dir, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                Thread.Sleep(100);
            }
            catch (IOException e)
            {
                throw new TimeoutException($"the rollback state in {dir} stayed locked for {limit.TotalSeconds:0}s: {e.Message}");
            }
        }
    }

    private void EnsureDir()
    {
        if (Directory.Exists(dir)) return;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }
}

using Sower.Actors.Hosting;

namespace Sower.Server.Configuration;

/// <summary>
/// At every start the data directory is made private again: the directory and <c>keys/</c> 0700, the SQLite database
/// with its WAL, SHM and journal, the admin-token file and every key file 0600. A data directory made by an older
/// version, restored from a backup or created by hand may be world-readable, and it holds the journal (every token
/// hash, every audit event) and the keys that sign console cookies. Before the first start, <c>keys/</c> and an empty
/// <c>sower.db</c> are created private, so SQLite's WAL and SHM files (which copy the database's mode) never exist
/// readable either. A file the server cannot change (another owner) is reported, not fatal.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class DataDirectoryPermissions
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly string[] SqliteCompanions = ["", "-wal", "-shm", "-journal"];

    /// <summary>Tightens what exists and prepares what is missing; returns one warning per path it could not fix.</summary>
    public static IReadOnlyList<string> Tighten(ServerOptions options)
    {
        var warnings = new List<string>();
        if (!Directory.Exists(options.DataDir)) return warnings;
        var dataDir = options.DataDir;
        SetMode(dataDir, PrivateDirectory, warnings);

        var keys = Path.Combine(dataDir, "keys");
        if (!Directory.Exists(keys)) Try(() => Directory.CreateDirectory(keys, PrivateDirectory), keys, warnings);
        if (Directory.Exists(keys))
        {
            SetMode(keys, PrivateDirectory, warnings);
            foreach (var file in Directory.EnumerateFiles(keys)) SetMode(file, PrivateFile, warnings);
        }

        foreach (var file in new[] { options.AdminTokenFile, options.AdminTokenFile + ".tmp" })
        {
            if (File.Exists(file)) SetMode(file, PrivateFile, warnings);
        }

        if (SqliteFile(options) is { } database)
        {
            if (!File.Exists(database) && Directory.Exists(Path.GetDirectoryName(database)))
            {
                // SQLite takes an empty file as an empty database, and gives its WAL and SHM the database's mode.
                Try(() => new FileStream(database, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile }).Dispose(), database, warnings);
            }
            foreach (var suffix in SqliteCompanions)
            {
                if (File.Exists(database + suffix)) SetMode(database + suffix, PrivateFile, warnings);
            }
        }
        return warnings;
    }

    /// <summary>The SQLite file when the server keeps its journal in the data directory (the default).</summary>
    private static string? SqliteFile(ServerOptions options)
    {
        if (options.Persistence.Provider != DatabaseProvider.Sqlite) return null;
        var path = Path.Combine(Path.GetFullPath(options.DataDir), PersistenceSettings.SqliteFileName);
        return options.Persistence == PersistenceSettings.SqliteIn(options.DataDir) ? path : null;
    }

    private static void SetMode(string path, UnixFileMode mode, List<string> warnings)
    {
        try
        {
            if (File.GetUnixFileMode(path) != mode) File.SetUnixFileMode(path, mode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings.Add($"cannot make {path} private (mode {Convert.ToString((int)mode, 8)}): {e.Message}");
        }
    }

    private static void Try(Action action, string path, List<string> warnings)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings.Add($"cannot create {path} private: {e.Message}");
        }
    }
}

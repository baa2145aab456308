namespace Sower.Actors.Persistence.Sqlite;

/// <summary>
/// One SQLite file of the lean journal: a single connection (WAL, <c>synchronous=FULL</c>) used by one operation at a
/// time. The journal and the snapshot store each open their own; SQLite's file lock and the busy timeout order them.
/// </summary>
public sealed class SqliteStore : IDisposable
{
    /// <summary>The schema this code writes; <c>store_info.schema_version</c> holds the file's.</summary>
    public const int SchemaVersion = 1;

    private readonly SqliteDatabase _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _disposed;

    public SqliteStore(string path)
    {
        Path = path;
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        _connection = SqliteDatabase.Open(path, TimeSpan.FromSeconds(30));
        try
        {
            _connection.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
            Initialize();
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    public string Path { get; }

    /// <summary>Runs <paramref name="work"/> on the thread pool with the connection to itself.</summary>
    public async Task<T> RunAsync<T>(Func<SqliteDatabase, T> work)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await Task.Run(() => work(_connection)).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> in one <c>BEGIN IMMEDIATE</c> transaction: all of it is committed or none.</summary>
    public Task<T> InTransactionAsync<T>(Func<SqliteDatabase, T> work) => RunAsync(c => c.InTransaction(() => work(c)));

    // The tables never share a name with Akka.Persistence.Sql's (journal, tags, snapshot), so an upgraded garden's old
    // tables stay as they were: a downgrade still finds them, and LegacySqlMigration copies them once.
    private void Initialize() => _connection.InTransaction(() =>
    {
        _connection.Execute("""
                CREATE TABLE IF NOT EXISTS store_info (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS events (
                  persistence_id TEXT NOT NULL,
                  sequence_nr INTEGER NOT NULL,
                  created_ticks INTEGER NOT NULL,
                  serializer_id INTEGER NOT NULL,
                  serializer_manifest TEXT NOT NULL,
                  event_manifest TEXT NOT NULL,
                  writer_uuid TEXT NOT NULL,
                  payload BLOB NOT NULL,
                  PRIMARY KEY (persistence_id, sequence_nr)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS deleted_to (
                  persistence_id TEXT NOT NULL PRIMARY KEY,
                  sequence_nr INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS snapshots (
                  persistence_id TEXT NOT NULL,
                  sequence_nr INTEGER NOT NULL,
                  created_ticks INTEGER NOT NULL,
                  serializer_id INTEGER NOT NULL,
                  serializer_manifest TEXT NOT NULL,
                  payload BLOB NOT NULL,
                  PRIMARY KEY (persistence_id, sequence_nr)) WITHOUT ROWID;
                """);
        var version = ReadInfo(_connection, "schema_version");
        if (version is null) WriteInfo(_connection, "schema_version", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        else if (version != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{Path}: journal schema version {version} is not {SchemaVersion}; this sower-garden cannot read it (was it written by a newer one?)");
        LegacySqlMigration.MigrateOnce(_connection);
        return 0;
    });

    internal static string? ReadInfo(SqliteDatabase connection, string key)
    {
        using var select = connection.Prepare("SELECT value FROM store_info WHERE key = $key");
        return select.Bind("$key", key).Step() ? select.Text(0) : null;
    }

    internal static void WriteInfo(SqliteDatabase connection, string key, string value)
    {
        using var upsert = connection.Prepare("INSERT INTO store_info (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        upsert.Bind("$key", key).Bind("$value", value).Execute();
    }

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _connection.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }
}

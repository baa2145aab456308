using System.Diagnostics;
using SQLitePCL;

namespace Sower.Actors.Persistence.Sqlite;

/// <summary>
/// One SQLite connection on SQLitePCLRaw's C API, the little the lean journal needs: run SQL, prepare statements with
/// named parameters, transactions. Not ADO.NET: Microsoft.Data.Sqlite would bring System.Data.Common and
/// System.ComponentModel.TypeConverter into the garden for good (about 2.5 MiB of its idle memory, docs/benchmarks.md,
/// "Garden"). Not thread-safe: <see cref="SqliteStore"/> lets one operation at a time use it.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(20);
    private readonly sqlite3 _db;
    private readonly TimeSpan _busyTimeout;

    static SqliteDatabase() => Batteries_V2.Init();

    private SqliteDatabase(sqlite3 db, string path, TimeSpan busyTimeout)
    {
        _db = db;
        Path = path;
        _busyTimeout = busyTimeout;
    }

    public string Path { get; }

    /// <summary>Opens (creating if absent) the file at <paramref name="path"/>, waiting up to <paramref name="busyTimeout"/>
    /// for another connection's lock.</summary>
    public static SqliteDatabase Open(string path, TimeSpan busyTimeout)
    {
        var rc = raw.sqlite3_open_v2(path, out var db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE, null);
        if (rc != raw.SQLITE_OK)
        {
            var message = db is null ? raw.sqlite3_errstr(rc).utf8_to_string() : raw.sqlite3_errmsg(db).utf8_to_string();
            db?.Dispose();
            throw new SqliteStoreException(rc, $"{path}: cannot open the journal: {message}");
        }
        var database = new SqliteDatabase(db, path, busyTimeout);
        database.Check(raw.sqlite3_busy_timeout(db, (int)busyTimeout.TotalMilliseconds));
        return database;
    }

    /// <summary>Runs <paramref name="sql"/> (one or more statements without parameters).</summary>
    public void Execute(string sql) => Check(Retrying(() => raw.sqlite3_exec(_db, sql)));

    /// <summary>Prepares one statement; parameters are bound by name (<c>$pid</c>).</summary>
    public SqliteStatement Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out var statement));
        return new SqliteStatement(this, statement);
    }

    /// <summary>Runs <paramref name="work"/> in one <c>BEGIN IMMEDIATE</c> transaction: all of it is committed or, when it
    /// throws, none of it.</summary>
    public T InTransaction<T>(Func<T> work)
    {
        Execute("BEGIN IMMEDIATE");
        try
        {
            var result = work();
            Execute("COMMIT");
            return result;
        }
        catch
        {
            // A failed COMMIT may already have ended the transaction; ROLLBACK then has nothing to do.
            raw.sqlite3_exec(_db, "ROLLBACK");
            throw;
        }
    }

    /// <summary>Rows changed by the last statement.</summary>
    public int Changes => raw.sqlite3_changes(_db);

    /// <summary>
    /// Runs <paramref name="attempt"/> again while SQLite answers busy or locked, up to the busy timeout. SQLite's own
    /// busy handler waits in most cases, but not in all: two connections switching one new file to WAL at once (the
    /// journal and the snapshot store at every first start) get "database is locked" at once. Microsoft.Data.Sqlite
    /// retries the same way.
    /// </summary>
    internal int Retrying(Func<int> attempt, Action? beforeRetry = null)
    {
        var rc = attempt();
        var started = Stopwatch.GetTimestamp();
        while (rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED && Stopwatch.GetElapsedTime(started) < _busyTimeout)
        {
            beforeRetry?.Invoke();
            Thread.Sleep(RetryPause);
            rc = attempt();
        }
        return rc;
    }

    internal int Check(int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE) return rc;
        throw new SqliteStoreException(rc, $"{Path}: {raw.sqlite3_errmsg(_db).utf8_to_string()}");
    }

    public void Dispose() => _db.Dispose();
}

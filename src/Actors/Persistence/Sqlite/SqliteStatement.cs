using SQLitePCL;

namespace Sower.Actors.Persistence.Sqlite;

/// <summary>A prepared statement of <see cref="SqliteDatabase"/>: bind, step, read columns, reset for the next row.</summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly sqlite3_stmt _statement;
    private bool _rowsRead;

    internal SqliteStatement(SqliteDatabase database, sqlite3_stmt statement)
    {
        _database = database;
        _statement = statement;
    }

    public SqliteStatement Bind(string name, long value)
    {
        _database.Check(raw.sqlite3_bind_int64(_statement, Index(name), value));
        return this;
    }

    public SqliteStatement Bind(string name, string value)
    {
        _database.Check(raw.sqlite3_bind_text(_statement, Index(name), value));
        return this;
    }

    public SqliteStatement Bind(string name, byte[] value)
    {
        // An empty span would bind NULL; the payload columns are NOT NULL and an empty payload is a valid one.
        var index = Index(name);
        _database.Check(value.Length == 0 ? raw.sqlite3_bind_zeroblob(_statement, index, 0) : raw.sqlite3_bind_blob(_statement, index, value));
        return this;
    }

    /// <summary>Steps once: true when a row is there to read.</summary>
    public bool Step()
    {
        // Busy before the first row: reset and run again. Never after a row was read (the rows would start over).
        var rc = _rowsRead
            ? raw.sqlite3_step(_statement)
            : _database.Retrying(() => raw.sqlite3_step(_statement), () => raw.sqlite3_reset(_statement));
        if (_database.Check(rc) != raw.SQLITE_ROW) return false;
        _rowsRead = true;
        return true;
    }

    /// <summary>Runs the statement to its end and returns the rows it changed.</summary>
    public int Execute()
    {
        while (Step())
        {
        }
        return _database.Changes;
    }

    /// <summary>Makes the statement ready to run again with new values (the bindings stay until rebound).</summary>
    public void Reset()
    {
        raw.sqlite3_reset(_statement);
        _rowsRead = false;
    }

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string() ?? "";

    public byte[] Blob(int column) => raw.sqlite3_column_blob(_statement, column).ToArray();

    private int Index(string name)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        if (index == 0) throw new ArgumentException($"the statement has no parameter {name}", nameof(name));
        return index;
    }

    public void Dispose() => _statement.Dispose();
}

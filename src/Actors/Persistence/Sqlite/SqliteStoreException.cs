namespace Sower.Actors.Persistence.Sqlite;

/// <summary>An SQLite error of the lean journal, with SQLite's result code.</summary>
public sealed class SqliteStoreException(int resultCode, string message) : Exception(message)
{
    /// <summary>SQLite's primary result code (<c>SQLITE_CONSTRAINT</c> = 19, <c>SQLITE_BUSY</c> = 5, ...).</summary>
    public int ResultCode { get; } = resultCode;
}

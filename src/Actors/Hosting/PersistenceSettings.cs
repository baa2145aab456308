namespace Sower.Actors.Hosting;

public enum DatabaseProvider
{
    /// <summary>An SQLite file through Microsoft.Data.Sqlite (the single-node default).</summary>
    Sqlite,
    /// <summary>PostgreSQL through Npgsql (needed for several nodes).</summary>
    PostgreSql,
}

/// <summary>Where the journal and snapshots live.</summary>
/// <param name="ConnectionString">For SQLite e.g. <c>Data Source=/var/lib/sower/sower.db</c>; for PostgreSQL an Npgsql connection string.</param>
public sealed record PersistenceSettings(DatabaseProvider Provider, string ConnectionString)
{
    public const string SqliteFileName = "sower.db";

    /// <summary>The default: an SQLite file <c>sower.db</c> inside <paramref name="dataDir"/>.</summary>
    public static PersistenceSettings SqliteIn(string dataDir) =>
        new(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(Path.GetFullPath(dataDir), SqliteFileName)}");

    // The connection string may carry a password: keep it out of logs.
    public override string ToString() => $"PersistenceSettings {{ Provider = {Provider} }}";
}

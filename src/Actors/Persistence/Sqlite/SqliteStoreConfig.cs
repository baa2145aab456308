using Akka.Configuration;

namespace Sower.Actors.Persistence.Sqlite;

/// <summary>Reads a lean SQLite plugin's HOCON section (<c>database = "path"</c>) and opens its file.</summary>
internal static class SqliteStoreConfig
{
    public static SqliteStore Open(Config config)
    {
        var path = config.GetString("database", null);
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigurationException("the SQLite journal plugin needs `database` (the file's path)");
        return new SqliteStore(path);
    }
}

using Microsoft.Data.Sqlite;

namespace Sower.Actors.Tests.Persistence.Sqlite;

/// <summary>Reads the lean journal's tables straight from the file, as a person with <c>sqlite3</c> would.</summary>
public sealed class SqliteJournalFile(string path) : IDisposable
{
    private readonly SqliteConnection _connection = Open(path);

    private static SqliteConnection Open(string path)
    {
        var c = new SqliteConnection($"Data Source={path};Pooling=false");
        c.Open();
        return c;
    }

    public long Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command.ExecuteScalar() is { } v and not DBNull ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    public long Count(string pid) => Scalar("SELECT COUNT(*) FROM events WHERE persistence_id = $p", ("$p", pid));

    public long HighestSequenceNr(string pid) => Math.Max(
        Scalar("SELECT MAX(sequence_nr) FROM events WHERE persistence_id = $p", ("$p", pid)),
        Scalar("SELECT sequence_nr FROM deleted_to WHERE persistence_id = $p", ("$p", pid)));

    public (int, string) SerializerOf(string pid, long sequenceNr)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT serializer_id, serializer_manifest FROM events WHERE persistence_id = $p AND sequence_nr = $s";
        command.Parameters.AddWithValue("$p", pid);
        command.Parameters.AddWithValue("$s", sequenceNr);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read(), $"no event {pid}/{sequenceNr}");
        return (reader.GetInt32(0), reader.GetString(1));
    }

    public string? Info(string key)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM store_info WHERE key = $k";
        command.Parameters.AddWithValue("$k", key);
        return command.ExecuteScalar() as string;
    }

    public void Dispose() => _connection.Dispose();
}

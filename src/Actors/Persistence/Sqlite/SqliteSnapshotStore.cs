using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using Microsoft.Data.Sqlite;

namespace Sower.Actors.Persistence.Sqlite;

/// <summary>The lean journal's snapshot store: one row per (persistence id, sequence number) in the same SQLite file.</summary>
public sealed class SqliteSnapshotStore : SnapshotStore
{
    private readonly SqliteStore _store;
    private readonly Akka.Serialization.Serialization _serialization;

    public SqliteSnapshotStore(Config config)
    {
        _store = SqliteStoreConfig.Open(config);
        _serialization = Context.System.Serialization;
    }

    private sealed record Row(long SequenceNr, long CreatedTicks, int SerializerId, string Manifest, byte[] Payload);

    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        var rows = await _store.RunAsync(c =>
        {
            using var command = Select(c, "SELECT sequence_nr, created_ticks, serializer_id, serializer_manifest, payload FROM snapshots", persistenceId, criteria);
            command.CommandText += " ORDER BY sequence_nr DESC";
            using var reader = command.ExecuteReader();
            var list = new List<Row>();
            while (reader.Read()) list.Add(new Row(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), (byte[])reader.GetValue(4)));
            return list;
        }).ConfigureAwait(false);
        if (rows.Count == 0) return null;
        // The newest that matches; an unreadable one is an error to see, not a reason to recover from an older state.
        var row = rows[0];
        var snapshot = _serialization.Deserialize(row.Payload, row.SerializerId, row.Manifest);
        return new SelectedSnapshot(new SnapshotMetadata(persistenceId, row.SequenceNr, new DateTime(row.CreatedTicks, DateTimeKind.Utc)), snapshot);
    }

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var serializer = _serialization.FindSerializerFor(snapshot);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, snapshot);
        var bytes = serializer.ToBinary(snapshot);
        var created = metadata.Timestamp == DateTime.MinValue ? DateTime.UtcNow.Ticks : metadata.Timestamp.ToUniversalTime().Ticks;
        return _store.InTransactionAsync((c, t) =>
        {
            using var command = c.CreateCommand();
            command.Transaction = t;
            command.CommandText = """
                INSERT INTO snapshots (persistence_id, sequence_nr, created_ticks, serializer_id, serializer_manifest, payload)
                VALUES ($pid, $seq, $created, $serializer, $manifest, $payload)
                ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET created_ticks = excluded.created_ticks,
                  serializer_id = excluded.serializer_id, serializer_manifest = excluded.serializer_manifest, payload = excluded.payload
                """;
            command.Parameters.AddWithValue("$pid", metadata.PersistenceId);
            command.Parameters.AddWithValue("$seq", metadata.SequenceNr);
            command.Parameters.AddWithValue("$created", created);
            command.Parameters.AddWithValue("$serializer", serializer.Identifier);
            command.Parameters.AddWithValue("$manifest", manifest);
            command.Parameters.AddWithValue("$payload", bytes);
            return command.ExecuteNonQuery();
        });
    }

    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken) =>
        _store.InTransactionAsync((c, t) =>
        {
            using var command = c.CreateCommand();
            command.Transaction = t;
            command.CommandText = "DELETE FROM snapshots WHERE persistence_id = $pid AND sequence_nr = $seq";
            command.Parameters.AddWithValue("$pid", metadata.PersistenceId);
            command.Parameters.AddWithValue("$seq", metadata.SequenceNr);
            return command.ExecuteNonQuery();
        });

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        _store.InTransactionAsync((c, t) =>
        {
            using var command = Select(c, "DELETE FROM snapshots", persistenceId, criteria);
            command.Transaction = t;
            return command.ExecuteNonQuery();
        });

    private static SqliteCommand Select(SqliteConnection connection, string head, string persistenceId, SnapshotSelectionCriteria criteria)
    {
        var command = connection.CreateCommand();
        command.CommandText = head + """
             WHERE persistence_id = $pid AND sequence_nr >= $minSeq AND sequence_nr <= $maxSeq
             AND created_ticks >= $minTicks AND created_ticks <= $maxTicks
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$minSeq", criteria.MinSequenceNr);
        command.Parameters.AddWithValue("$maxSeq", criteria.MaxSequenceNr);
        command.Parameters.AddWithValue("$minTicks", Ticks(criteria.MinTimestamp ?? DateTime.MinValue));
        command.Parameters.AddWithValue("$maxTicks", Ticks(criteria.MaxTimeStamp));
        return command;
    }

    private static long Ticks(DateTime time) =>
        time == DateTime.MinValue || time == DateTime.MaxValue ? time.Ticks : time.ToUniversalTime().Ticks;

    protected override void PostStop()
    {
        _store.Dispose();
        base.PostStop();
    }
}

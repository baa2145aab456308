using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;

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
            using var select = Select(c, "SELECT sequence_nr, created_ticks, serializer_id, serializer_manifest, payload FROM snapshots", persistenceId, criteria,
                " ORDER BY sequence_nr DESC");
            var list = new List<Row>();
            while (select.Step()) list.Add(new Row(select.Int64(0), select.Int64(1), (int)select.Int64(2), select.Text(3), select.Blob(4)));
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
        return _store.InTransactionAsync(c =>
        {
            using var upsert = c.Prepare("""
                INSERT INTO snapshots (persistence_id, sequence_nr, created_ticks, serializer_id, serializer_manifest, payload)
                VALUES ($pid, $seq, $created, $serializer, $manifest, $payload)
                ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET created_ticks = excluded.created_ticks,
                  serializer_id = excluded.serializer_id, serializer_manifest = excluded.serializer_manifest, payload = excluded.payload
                """);
            return upsert.Bind("$pid", metadata.PersistenceId).Bind("$seq", metadata.SequenceNr).Bind("$created", created)
                .Bind("$serializer", serializer.Identifier).Bind("$manifest", manifest).Bind("$payload", bytes).Execute();
        });
    }

    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken) =>
        _store.InTransactionAsync(c =>
        {
            using var delete = c.Prepare("DELETE FROM snapshots WHERE persistence_id = $pid AND sequence_nr = $seq");
            return delete.Bind("$pid", metadata.PersistenceId).Bind("$seq", metadata.SequenceNr).Execute();
        });

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        _store.InTransactionAsync(c =>
        {
            using var delete = Select(c, "DELETE FROM snapshots", persistenceId, criteria, "");
            return delete.Execute();
        });

    private static SqliteStatement Select(SqliteDatabase connection, string head, string persistenceId, SnapshotSelectionCriteria criteria, string tail)
    {
        var statement = connection.Prepare(head + """
             WHERE persistence_id = $pid AND sequence_nr >= $minSeq AND sequence_nr <= $maxSeq
             AND created_ticks >= $minTicks AND created_ticks <= $maxTicks
            """ + tail);
        try
        {
            return statement.Bind("$pid", persistenceId).Bind("$minSeq", criteria.MinSequenceNr).Bind("$maxSeq", criteria.MaxSequenceNr)
                .Bind("$minTicks", Ticks(criteria.MinTimestamp ?? DateTime.MinValue)).Bind("$maxTicks", Ticks(criteria.MaxTimeStamp));
        }
        catch
        {
            statement.Dispose();
            throw;
        }
    }

    private static long Ticks(DateTime time) =>
        time == DateTime.MinValue || time == DateTime.MaxValue ? time.Ticks : time.ToUniversalTime().Ticks;

    protected override void PostStop()
    {
        _store.Dispose();
        base.PostStop();
    }
}

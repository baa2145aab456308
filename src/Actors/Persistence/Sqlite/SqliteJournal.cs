using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Sower.Actors.Persistence.Sqlite;

/// <summary>
/// A lean Akka.Persistence journal over one SQLite file (SQLitePCLRaw, WAL): events as Akka serializes them
/// (serializer id + manifest), each batch of atomic writes in one transaction. Tags are not stored (nothing queries the
/// garden's journal); deleted events are removed and the highest deleted sequence number is kept in <c>deleted_to</c>.
/// </summary>
public sealed class SqliteJournal : AsyncWriteJournal
{
    private readonly SqliteStore _store;
    private readonly Akka.Serialization.Serialization _serialization;

    public SqliteJournal(Config config)
    {
        _store = SqliteStoreConfig.Open(config);
        _serialization = Context.System.Serialization;
    }

    private sealed record Row(string PersistenceId, long SequenceNr, long CreatedTicks, int SerializerId, string SerializerManifest, string EventManifest, string WriterUuid, byte[] Payload);

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        // Serialize first: an event that cannot be serialized rejects its own atomic write only (Akka's contract), and
        // nothing of it reaches the file. What serialized is written in one transaction, all of it or nothing.
        var rows = new List<Row>();
        var results = new List<Exception?>();
        foreach (var write in messages)
        {
            try
            {
                var batch = ((IImmutableList<IPersistentRepresentation>)write.Payload).Select(ToRow).ToList();
                rows.AddRange(batch);
                results.Add(null);
            }
            catch (Exception e)
            {
                results.Add(e);
            }
        }
        if (rows.Count > 0) await _store.InTransactionAsync(c => Insert(c, rows)).ConfigureAwait(false);
        return results.Any(r => r is not null) ? results.ToImmutableList() : null!;
    }

    private Row ToRow(IPersistentRepresentation message)
    {
        var payload = message.Payload is Tagged tagged ? tagged.Payload : message.Payload;
        var serializer = _serialization.FindSerializerFor(payload);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, payload);
        var created = message.Timestamp > 0 ? message.Timestamp : DateTime.UtcNow.Ticks;
        return new Row(message.PersistenceId, message.SequenceNr, created, serializer.Identifier, manifest, message.Manifest ?? "",
            message.WriterGuid ?? "", serializer.ToBinary(payload));
    }

    private static int Insert(SqliteDatabase connection, List<Row> rows)
    {
        using var insert = connection.Prepare("""
            INSERT INTO events (persistence_id, sequence_nr, created_ticks, serializer_id, serializer_manifest, event_manifest, writer_uuid, payload)
            VALUES ($pid, $seq, $created, $serializer, $manifest, $eventManifest, $writer, $payload)
            """);
        foreach (var row in rows)
        {
            insert.Bind("$pid", row.PersistenceId).Bind("$seq", row.SequenceNr).Bind("$created", row.CreatedTicks).Bind("$serializer", row.SerializerId)
                .Bind("$manifest", row.SerializerManifest).Bind("$eventManifest", row.EventManifest).Bind("$writer", row.WriterUuid)
                .Bind("$payload", row.Payload).Execute();
            insert.Reset();
        }
        return rows.Count;
    }

    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        if (max <= 0 || toSequenceNr < fromSequenceNr) return;
        var rows = await _store.RunAsync(c =>
        {
            using var select = c.Prepare("""
                SELECT sequence_nr, created_ticks, serializer_id, serializer_manifest, event_manifest, writer_uuid, payload FROM events
                WHERE persistence_id = $pid AND sequence_nr >= $from AND sequence_nr <= $to ORDER BY sequence_nr LIMIT $max
                """);
            select.Bind("$pid", persistenceId).Bind("$from", fromSequenceNr).Bind("$to", toSequenceNr).Bind("$max", max);
            var list = new List<Row>();
            while (select.Step())
                list.Add(new Row(persistenceId, select.Int64(0), select.Int64(1), (int)select.Int64(2), select.Text(3), select.Text(4),
                    select.Text(5), select.Blob(6)));
            return list;
        }).ConfigureAwait(false);
        foreach (var row in rows)
        {
            var payload = _serialization.Deserialize(row.Payload, row.SerializerId, row.SerializerManifest);
            recoveryCallback(new Persistent(payload, row.SequenceNr, row.PersistenceId, row.EventManifest, isDeleted: false, ActorRefs.NoSender,
                row.WriterUuid, row.CreatedTicks));
        }
    }

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        _store.RunAsync(c => HighestSequenceNr(c, persistenceId));

    private static long HighestSequenceNr(SqliteDatabase connection, string persistenceId)
    {
        using var select = connection.Prepare("""
            SELECT MAX(COALESCE((SELECT MAX(sequence_nr) FROM events WHERE persistence_id = $pid), 0),
                       COALESCE((SELECT sequence_nr FROM deleted_to WHERE persistence_id = $pid), 0))
            """);
        select.Bind("$pid", persistenceId).Step();
        return select.Int64(0);
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        _store.InTransactionAsync(c =>
        {
            // Clamped to the highest written: deleting "to Long.MaxValue" must not invent sequence numbers.
            var upTo = Math.Min(toSequenceNr, HighestSequenceNr(c, persistenceId));
            if (upTo <= 0) return 0;
            using (var delete = c.Prepare("DELETE FROM events WHERE persistence_id = $pid AND sequence_nr <= $to"))
                delete.Bind("$pid", persistenceId).Bind("$to", upTo).Execute();
            using var mark = c.Prepare("""
                INSERT INTO deleted_to (persistence_id, sequence_nr) VALUES ($pid, $to)
                ON CONFLICT (persistence_id) DO UPDATE SET sequence_nr = MAX(sequence_nr, excluded.sequence_nr)
                """);
            return mark.Bind("$pid", persistenceId).Bind("$to", upTo).Execute();
        });

    protected override void PostStop()
    {
        _store.Dispose();
        base.PostStop();
    }
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Sower.Actors.Persistence.Sqlite;
using Sower.Actors.Garden;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Tests.Persistence.Sqlite;

/// <summary>
/// The cases of Akka's persistence TCK <c>JournalSpec</c>, against the lean SQLite journal on a real file: the journal
/// actor is driven with the protocol messages the persistent actors send (WriteMessages, ReplayMessages,
/// DeleteMessagesTo), five events written before each case.
/// </summary>
public sealed class SqliteJournalSpec : Akka.TestKit.Xunit2.TestKit
{
    private const string Pid = "p-1";
    private readonly SqliteSpecDirectory _directory;
    private readonly IActorRef _journal;
    private readonly TestProbe _sender;
    private readonly TestProbe _receiver;
    private readonly string _writerGuid = Guid.NewGuid().ToString();

    public SqliteJournalSpec() : this(new SqliteSpecDirectory()) { }

    private SqliteJournalSpec(SqliteSpecDirectory directory) : base(SqliteSpecConfig.For(directory.Database), "lean-journal")
    {
        _directory = directory;
        _journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);
        _sender = CreateTestProbe();
        _receiver = CreateTestProbe();
        WriteMessages(1, 5, Pid);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _directory.Dispose();
    }

    private void WriteMessages(long from, long to, string pid)
    {
        var writes = Enumerable.Range((int)from, (int)(to - from + 1))
            .Select(i => new AtomicWrite(new Persistent("a-" + i, i, pid, "", false, _sender.Ref, _writerGuid)))
            .ToImmutableList<IPersistentEnvelope>();
        _journal.Tell(new WriteMessages(writes, _receiver.Ref, 1));
        _receiver.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = from; i <= to; i++)
            _receiver.ExpectMsg<WriteMessageSuccess>(m => (string)m.Persistent.Payload == "a-" + i && m.Persistent.SequenceNr == i);
    }

    private void Replay(long from, long to, long max, string pid = Pid) => _journal.Tell(new ReplayMessages(from, to, max, pid, _receiver.Ref));

    private void ExpectReplayed(params long[] sequenceNrs)
    {
        foreach (var n in sequenceNrs)
            _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.SequenceNr == n && (string)m.Persistent.Payload == "a-" + n
                && m.Persistent.PersistenceId == Pid && m.Persistent.WriterGuid == _writerGuid && !m.Persistent.IsDeleted);
    }

    [Fact]
    public void Replays_all_messages_in_order()
    {
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 2, 3, 4, 5);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Replays_from_a_lower_sequence_number_bound()
    {
        Replay(3, long.MaxValue, long.MaxValue);
        ExpectReplayed(3, 4, 5);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Replays_to_an_upper_sequence_number_bound()
    {
        Replay(1, 3, long.MaxValue);
        ExpectReplayed(1, 2, 3);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Replays_at_most_the_count_limit()
    {
        Replay(1, long.MaxValue, 3);
        ExpectReplayed(1, 2, 3);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Replays_between_lower_and_upper_bounds_with_a_count_limit()
    {
        Replay(2, 5, 2);
        ExpectReplayed(2, 3);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Replays_a_single_message_when_lower_equals_upper()
    {
        Replay(2, 2, long.MaxValue);
        ExpectReplayed(2);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Replays_nothing_when_lower_is_above_upper()
    {
        Replay(3, 2, long.MaxValue);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Replays_nothing_when_the_count_limit_is_zero()
    {
        Replay(1, long.MaxValue, 0);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Replays_nothing_and_highest_zero_for_an_unknown_persistence_id()
    {
        Replay(1, long.MaxValue, long.MaxValue, "unknown");
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 0);
    }

    [Fact]
    public void Does_not_replay_deleted_messages()
    {
        _journal.Tell(new DeleteMessagesTo(Pid, 3, _receiver.Ref));
        _receiver.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 3);
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(4, 5);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
    }

    [Fact]
    public void Keeps_the_highest_sequence_number_after_every_message_is_deleted()
    {
        _journal.Tell(new DeleteMessagesTo(Pid, long.MaxValue, _receiver.Ref));
        _receiver.ExpectMsg<DeleteMessagesSuccess>();
        Replay(1, long.MaxValue, long.MaxValue);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);

        // and new writes continue after it
        WriteMessages(6, 7, Pid);
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(6, 7);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 7);
    }

    [Fact]
    public void Keeps_the_highest_sequence_number_when_a_restarted_journal_reads_a_cleaned_file()
    {
        _journal.Tell(new DeleteMessagesTo(Pid, 5, _receiver.Ref));
        _receiver.ExpectMsg<DeleteMessagesSuccess>();
        using var second = new SqliteJournalFile(_directory.Database);
        Assert.Equal(5, second.HighestSequenceNr(Pid));
        Assert.Equal(0, second.Count(Pid));
    }

    [Fact]
    public void Rejects_an_event_that_cannot_be_serialized_and_keeps_the_other_writes()
    {
        var writes = ImmutableList.Create<IPersistentEnvelope>(
            new AtomicWrite(new Persistent("a-6", 6, Pid, "", false, _sender.Ref, _writerGuid)),
            new AtomicWrite(new Persistent(new RefusedEvent("x"), 7, Pid, "", false, _sender.Ref, _writerGuid)),
            new AtomicWrite(new Persistent("a-8", 8, Pid, "", false, _sender.Ref, _writerGuid)));
        _journal.Tell(new WriteMessages(writes, _receiver.Ref, 1));
        _receiver.ExpectMsg<WriteMessagesSuccessful>();
        _receiver.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 6);
        _receiver.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 7 && m.Cause.Message.Contains("refuses"));
        _receiver.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 8);
        Replay(6, long.MaxValue, long.MaxValue);
        _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.SequenceNr == 6);
        _receiver.ExpectMsg<ReplayedMessage>(m => m.Persistent.SequenceNr == 8);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 8);
    }

    [Fact]
    public void Round_trips_garden_events_with_their_serializer_manifests_and_event_manifest()
    {
        var appended = new GardenJournalEvents.OutboxAppended(1, "report", """{"a":1}""");
        var writes = ImmutableList.Create<IPersistentEnvelope>(
            new AtomicWrite(new Persistent(appended, 1, "garden-outbox", "adapter-v1", false, _sender.Ref, _writerGuid)));
        _journal.Tell(new WriteMessages(writes, _receiver.Ref, 1));
        _receiver.ExpectMsg<WriteMessagesSuccessful>();
        _receiver.ExpectMsg<WriteMessageSuccess>();
        _journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "garden-outbox", _receiver.Ref));
        _receiver.ExpectMsg<ReplayedMessage>(m => Equals(m.Persistent.Payload, appended) && m.Persistent.Manifest == "adapter-v1");
        _receiver.ExpectMsg<RecoverySuccess>();
        using var file = new SqliteJournalFile(_directory.Database);
        Assert.Equal((GardenJournalSerializer.SerializerId, "outbox-appended-v1"), file.SerializerOf("garden-outbox", 1));
    }

    [Fact]
    public void A_batch_that_fails_midway_writes_nothing_of_itself()
    {
        // Two atomic writes in one batch; the second collides with event 5 (already written), so the whole batch fails
        // after the first one's rows went in: none of them may stay.
        var writes = ImmutableList.Create<IPersistentEnvelope>(
            new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(
                new Persistent("a-6", 6, Pid, "", false, _sender.Ref, _writerGuid), new Persistent("a-7", 7, Pid, "", false, _sender.Ref, _writerGuid))),
            new AtomicWrite(new Persistent("a-5-again", 5, Pid, "", false, _sender.Ref, _writerGuid)));
        _journal.Tell(new WriteMessages(writes, _receiver.Ref, 1));
        _receiver.ExpectMsg<WriteMessagesFailed>(m => m.Cause is SqliteStoreException { ResultCode: 19 });
        _receiver.ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 6);
        _receiver.ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 7);
        _receiver.ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 5);
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 2, 3, 4, 5);
        _receiver.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 5);
        // and the journal still writes
        WriteMessages(6, 6, Pid);
    }
}

using Akka.Actor;
using Akka.Persistence;
using Sower.Actors.Garden;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Tests.Persistence.Sqlite;

/// <summary>A persistent actor that records what it persisted and recovered, for the journal specs.</summary>
public sealed class RecordingActor : ReceivePersistentActor
{
    public sealed record Append(IReadOnlyList<object> Events);

    public sealed record Appended(long LastSequenceNr);

    public sealed record GetEvents;

    public sealed record Events(IReadOnlyList<object> All, long LastSequenceNr);

    public sealed record DeleteTo(long SequenceNr);

    private readonly List<object> _events = [];
    private IActorRef? _deleteReplyTo;

    public RecordingActor(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<string>(_events.Add);
        Recover<IGardenJournalEvent>(_events.Add);
        Command<Append>(a =>
        {
            var replyTo = Sender;
            var n = 0;
            PersistAll(a.Events, e =>
            {
                _events.Add(e);
                if (++n == a.Events.Count) replyTo.Tell(new Appended(LastSequenceNr));
            });
        });
        Command<GetEvents>(_ => Sender.Tell(new Events(_events.ToList(), LastSequenceNr)));
        Command<DeleteTo>(d =>
        {
            _deleteReplyTo = Sender;
            DeleteMessages(d.SequenceNr);
        });
        Command<DeleteMessagesSuccess>(s => _deleteReplyTo?.Tell(s));
    }

    public override string PersistenceId { get; }

    public static Props Props(string persistenceId) => Akka.Actor.Props.Create(() => new RecordingActor(persistenceId));
}

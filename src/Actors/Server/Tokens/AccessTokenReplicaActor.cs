using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Sower.Messages.Tokens;

namespace Sower.Actors.Server.Tokens;

/// <summary>One per node: reads the token store's events from the journal (<c>CurrentEventsByPersistenceId</c> from the
/// last sequence number it has) every <see cref="Interval"/> and folds them into this node's <see cref="AccessTokenView"/>.
/// A failed read is logged and retried at the next tick; the view then goes stale and is no longer trusted.</summary>
public sealed class AccessTokenReplicaActor : ReceiveActor, IWithTimers
{
    public const string Name = "access-token-replica";
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AccessTokenView _view;
    private readonly string _readJournalId;
    private ICurrentEventsByPersistenceIdQuery? _journal;
    private bool _reading;
    private bool _failing;
    private bool _everRead;

    public AccessTokenReplicaActor(AccessTokenView view, string readJournalId)
    {
        _view = view;
        _readJournalId = readJournalId;
        Receive<Tick>(_ => Read());
        Receive<JournalReady>(ready =>
        {
            _reading = false;
            _journal = ready.Journal;
            Read();
        });
        Receive<Batch>(batch =>
        {
            _reading = false;
            _view.Apply(batch.Events);
            if (_failing) _log.Info("Reading the token store's journal works again");
            _failing = false;
            _everRead = true;
        });
        Receive<ReadFailed>(failure =>
        {
            _reading = false;
            // Until the first read the journal may still be starting (its read side waits for it): not worth a warning.
            if (!_everRead) _log.Debug("The token store's journal is not readable yet: {Reason}", failure.Cause.Message);
            else if (!_failing) _log.Warning(failure.Cause, "Reading the token store's journal failed; retrying every {Interval}", Interval);
            _failing = _everRead;
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("read", Tick.Instance, TimeSpan.Zero, Interval);
    }

    private void Read()
    {
        if (_reading) return;
        _reading = true;
        if (_journal is not { } journal)
        {
            // Creating the SQL read journal blocks until the write journal has initialized: never on this actor's thread.
            var system = Context.System;
            var id = _readJournalId;
            Task.Run(() => PersistenceQuery.Get(system).ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(id))
                .PipeTo(Self, success: j => new JournalReady(j), failure: ex => new ReadFailed(ex));
            return;
        }
        journal.CurrentEventsByPersistenceId(AccessTokensActor.Id, _view.SequenceNr + 1, long.MaxValue)
            .Where(e => e.Event is ITokenEvent)
            .Select(e => (e.SequenceNr, (ITokenEvent)e.Event))
            // The actor's own materializer: the read stops with the actor (at a node's shutdown) instead of outliving it.
            .RunWith(Sink.Seq<(long, ITokenEvent)>(), Context.Materializer())
            .PipeTo(Self, success: events => new Batch(events), failure: ex => new ReadFailed(ex));
    }

    private sealed class Tick : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Tick Instance = new();
        private Tick() { }
    }

    // A read still in flight when the actor stops (a node shutting down aborts the stream) answers a dead actor: the
    // answers below are dead-letter-suppressed, as that is the expected end of a read and not a lost message.
    private sealed record JournalReady(ICurrentEventsByPersistenceIdQuery Journal) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed record Batch(IReadOnlyList<(long SequenceNr, ITokenEvent Event)> Events) : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    private sealed record ReadFailed(Exception Cause) : INoSerializationVerificationNeeded, IDeadLetterSuppression;
}

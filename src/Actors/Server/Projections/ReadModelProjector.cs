using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using NodaTime;
using Offset = Akka.Persistence.Query.Offset;
using Sower.Messages.Deployments;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;

namespace Sower.Actors.Server.Projections;

/// <summary>
/// Follows the seed, garden and deployment tags from the start (EventsByTag on the SQL read journal) and folds them into
/// the ReadModelStore, publishing each change on the EventStream. The model is rebuilt on every start; a failed stream
/// is restarted after a pause.
/// </summary>
public sealed class ReadModelProjector : ReceiveActor, IWithTimers
{
    private readonly ReadModelStore _store;
    private readonly Instant _started;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ServerReadModel _model = ServerReadModel.Empty;
    private readonly Dictionary<string, Offset> _offsets = new();

    public ReadModelProjector(ReadModelStore store, IClock clock, string readJournalId)
    {
        _store = store;
        _started = clock.GetCurrentInstant();
        Receive<EventEnvelope>(env =>
        {
            _model = _model.Apply(env.Event, _started);
            var change = env.Event switch
            {
                SeedEvents.ISeedEvent s => new ReadModelChanged(SowerEventTagger.SeedTag, s.SeedId.Value),
                GardenEvents.IGardenEvent g => new ReadModelChanged(SowerEventTagger.GardenTag, g.GardenId.Value),
                DeploymentEvents.IDeploymentEvent d => new ReadModelChanged(SowerEventTagger.DeploymentTag, d.DeploymentId.Value),
                _ => null,
            };
            if (change is null) return;
            _offsets[change.Kind] = env.Offset;
            _store.Set(_model, change);
            Context.System.EventStream.Publish(change);
        });
        Receive<StreamFailed>(f =>
        {
            _log.Error(f.Cause, "projection of {0} failed; restarting it", f.Tag);
            Timers.StartSingleTimer("restart-" + f.Tag, new Restart(f.Tag), TimeSpan.FromSeconds(2));
        });
        Receive<Restart>(r => Follow(r.Tag, readJournalId));
        Receive<StreamCompleted>(_ => { });
        _readJournalId = readJournalId;
    }

    private readonly string _readJournalId;

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        foreach (var tag in new[] { SowerEventTagger.SeedTag, SowerEventTagger.GardenTag, SowerEventTagger.DeploymentTag }) Follow(tag, _readJournalId);
    }

    private void Follow(string tag, string readJournalId)
    {
        IEventsByTagQuery journal;
        try
        {
            journal = PersistenceQuery.Get(Context.System).ReadJournalFor<IEventsByTagQuery>(readJournalId);
        }
        catch (Exception e) when (e is AggregateException or AskTimeoutException or TimeoutException || e.InnerException is AskTimeoutException)
        {
            // The SQL read journal asks its initializer with a 5 s limit while it is created; on a loaded host that can time
            // out. Thrown from PreStart it stopped this actor for good (and the read model with it): try again shortly instead,
            // without an error that asks for no action.
            _log.Info("the read journal for {0} is not ready yet ({1}); following it in 2 s", tag, e.GetBaseException().Message);
            Timers.StartSingleTimer("restart-" + tag, new Restart(tag), TimeSpan.FromSeconds(2));
            return;
        }
        var from = _offsets.GetValueOrDefault(tag, Offset.NoOffset());
        journal.EventsByTag(tag, from)
            .RunWith(Sink.ActorRef<EventEnvelope>(Self, StreamCompleted.Instance, ex => new StreamFailed(tag, ex)), Context.Materializer());
    }

    private sealed record StreamFailed(string Tag, Exception Cause);

    private sealed record Restart(string Tag);

    private sealed class StreamCompleted
    {
        public static readonly StreamCompleted Instance = new();
    }
}

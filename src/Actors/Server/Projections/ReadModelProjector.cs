using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using NodaTime;
using Offset = Akka.Persistence.Query.Offset;
using Sower.Actors.Server.Presence;
using Sower.Messages.Deployments;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;

namespace Sower.Actors.Server.Projections;

/// <summary>
/// Follows the seed, garden and deployment tags from the start (EventsByTag on the SQL read journal) and folds them into
/// the ReadModelStore, publishing each change on the EventStream. The model is rebuilt on every start. A tag whose stream
/// fails (or whose read journal cannot be created yet) is followed again from its last offset after an exponential
/// backoff; the actor itself runs under a BackoffSupervisor (<see cref="ServerEntitiesHostingExtensions.WithSowerProjections"/>).
/// Whether every tag is being followed is published on the store (<see cref="ReadModelStore.ProjectorProblem"/>), which
/// the readiness check reads.
/// </summary>
public sealed class ReadModelProjector : ReceiveActor, IWithTimers
{
    public static readonly string[] Tags = [SowerEventTagger.SeedTag, SowerEventTagger.GardenTag, SowerEventTagger.DeploymentTag];

    private readonly ReadModelStore _store;
    private readonly Instant _started;
    private readonly string _readJournalId;
    private readonly ProjectorBackoff _backoff;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ServerReadModel _model = ServerReadModel.Empty;
    private readonly Dictionary<string, Offset> _offsets = new();
    /// <summary>Consecutive failures per tag (reset by the next event of that tag); a tag listed here is not followed.</summary>
    private readonly Dictionary<string, int> _failures = new();
    private readonly Dictionary<string, string> _problems = new();

    public ReadModelProjector(ReadModelStore store, IClock clock, string readJournalId, ProjectorBackoff? backoff = null)
    {
        _store = store;
        _started = clock.GetCurrentInstant();
        _readJournalId = readJournalId;
        _backoff = backoff ?? ProjectorBackoff.Default;
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
            _failures.Remove(change.Kind);
            _store.Set(_model, change);
            Context.System.EventStream.Publish(change);
        });
        Receive<GardenPresenceSnapshot>(p =>
        {
            var before = _model.Presence ?? ImmutableDictionary<string, string>.Empty;
            var changed = before.Keys.Where(k => !p.Online.ContainsKey(k)).Concat(p.Online.Keys.Where(k => !before.ContainsKey(k))).ToList();
            _model = _model with { Presence = p.Online };
            foreach (var garden in changed)
            {
                var change = new ReadModelChanged(SowerEventTagger.GardenTag, garden);
                _store.Set(_model, change);
                Context.System.EventStream.Publish(change);
            }
        });
        Receive<StreamFailed>(f => Failed(f.Tag, f.Cause, "failed"));
        Receive<Restart>(r => Follow(r.Tag));
        Receive<StreamCompleted>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _store.SetProjectorProblem("starting");
        foreach (var tag in Tags) Follow(tag);
    }

    protected override void PostStop() => _store.SetProjectorProblem("stopped (restarting after a backoff)");

    private void Follow(string tag)
    {
        IEventsByTagQuery journal;
        try
        {
            journal = PersistenceQuery.Get(Context.System).ReadJournalFor<IEventsByTagQuery>(_readJournalId);
        }
        catch (Exception e)
        {
            // The SQL read journal asks its initializer with a 5 s limit while it is created; on a loaded host that can time
            // out. Thrown from PreStart it stopped this actor for good (and the read model with it): try again after a backoff.
            Failed(tag, e, "could not be started");
            return;
        }
        var from = _offsets.GetValueOrDefault(tag, Offset.NoOffset());
        journal.EventsByTag(tag, from)
            .RunWith(Sink.ActorRef<EventEnvelope>(Self, StreamCompleted.Instance, ex => new StreamFailed(tag, ex)), Context.Materializer());
        _problems.Remove(tag);
        Publish();
    }

    private void Failed(string tag, Exception cause, string what)
    {
        var attempt = _failures.GetValueOrDefault(tag) + 1;
        _failures[tag] = attempt;
        var delay = _backoff.Delay(attempt);
        var message = cause.GetBaseException().Message;
        // The first failure of a start is routine under load; repeated ones ask for a look at the database.
        if (attempt == 1) _log.Info("projection of {Tag} {Outcome} ({Reason}); following it again in {RetrySeconds:0.#} s", tag, what, message, delay.TotalSeconds);
        else _log.Warning("projection of {Tag} {Outcome} {Attempts} times in a row ({Reason}); following it again in {RetrySeconds:0.#} s", tag, what, attempt, message, delay.TotalSeconds);
        _problems[tag] = $"projection of {tag} {what} ({message}); retry {attempt} in {delay.TotalSeconds:0.#} s";
        Publish();
        Timers.StartSingleTimer("restart-" + tag, new Restart(tag), delay);
    }

    private void Publish() => _store.SetProjectorProblem(_problems.Count == 0 ? null : string.Join("; ", _problems.Values));

    // The streams are this actor's children: stopping it tears them down, and each reports its end to an actor that is
    // already stopping (a dead letter per tag at every shutdown, and no one left to act on it).
    private sealed record StreamFailed(string Tag, Exception Cause) : IDeadLetterSuppression;

    private sealed record Restart(string Tag);

    private sealed class StreamCompleted : IDeadLetterSuppression
    {
        public static readonly StreamCompleted Instance = new();
    }
}

/// <summary>Exponential backoff with jitter for following a tag again: <c>min · 2^(attempt-1)</c>, at most <c>max</c>,
/// then ±<c>randomFactor</c>.</summary>
public sealed record ProjectorBackoff(TimeSpan Min, TimeSpan Max, double RandomFactor)
{
    public static readonly ProjectorBackoff Default = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2);

    public TimeSpan Delay(int attempt)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        var raw = Math.Min(Max.TotalMilliseconds, Min.TotalMilliseconds * Math.Pow(2, exponent));
        var jitter = 1 + (Random.Shared.NextDouble() * 2 - 1) * RandomFactor;
        return TimeSpan.FromMilliseconds(Math.Min(Max.TotalMilliseconds, raw * jitter));
    }
}

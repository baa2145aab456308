using System.Collections.Immutable;
using Akka.Actor;
using Sower.Actors.Metrics;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using Sower.Messages.Seeds;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedEvents;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedQueries;
using static Sower.Messages.Seeds.SeedLineQueries;
using static Sower.Messages.Gardens.GardenCommands;

namespace Sower.Actors.Server;

/// <summary>
/// One seed (sharded, persistent, id = SeedIdentity.For(type, artifact)). Decides new vs re-submission, then keeps its
/// seed line up to date: it stays alive (and, with remember-entities, is restarted after a crash) until the line has
/// acknowledged the latest version, so a seed can never be registered without reaching its line.
/// </summary>
public sealed class SeedActor : ServerEntityActor<SeedState, ISeedEvent>, IWithTimers
{
    private const string LineSyncTimer = "line-sync";
    private const string RecallTimer = "recall";
    private readonly IClock _clock;
    private readonly ShardRefs _shards;
    private readonly ServerEntitySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _lineAcked = true;

    // The recall fan-out in progress (issue 16.2): the followers asked, and those that have not answered yet.
    private ImmutableArray<SeedLineFollower>? _recallFollowers;
    private readonly HashSet<string> _recallAwaiting = new(StringComparer.Ordinal);

    public SeedActor(string entityId, IClock clock, ShardRefs shards, ServerEntitySettings settings)
        : base("seed", entityId, SeedState.Empty, (s, e) => s.Apply(e), settings, recoveryMetric: "seed")
    {
        _clock = clock;
        _shards = shards;
        _settings = settings;

        Command<SubmitSeed>(cmd =>
        {
            var problems = State.Check(cmd);
            if (!problems.IsEmpty)
            {
                Sender.Tell(new Messages.CommandFailed(InvalidSeed, "the seed was rejected: " + string.Join("; ", problems), problems));
                return;
            }
            Handle(cmd.SeedId, State.Decide(cmd, _clock.GetCurrentInstant()));
        });
        // Only an older node still sends this: a garden's report never registers a seed (issue 12).
        Command<RegisterReportedSeed>(cmd =>
        {
            _log.Warning("refused to register {StorePath} reported by garden {GardenId}: garden reports are recorded on the garden only", cmd.Artifact, cmd.By);
            Sender.Tell(new SeedFound(State.Seed));
        });
        Command<RetireSeed>(cmd => Handle(cmd.SeedId, State.Decide(cmd, _clock.GetCurrentInstant())));
        Command<RemoveSeedTag>(cmd => Handle(cmd.SeedId, State.Decide(cmd, _clock.GetCurrentInstant())));
        Command<RecallSeed>(cmd => HandleOrRefuse(cmd.SeedId, State.Decide(cmd, _clock.GetCurrentInstant())));
        Command<UnrecallSeed>(cmd => HandleOrRefuse(cmd.SeedId, State.Decide(cmd, _clock.GetCurrentInstant())));
        Command<SeedLineFollowers>(OnFollowers);
        Command<RecallOnGardenDone>(done =>
        {
            if (!_recallAwaiting.Remove(done.Subscription.Value) || _recallAwaiting.Count > 0 || _recallFollowers is null) return;
            var count = _recallFollowers.Value.Length;
            _recallFollowers = null;
            Timers.Cancel(RecallTimer);
            if (!State.RecallOwed) return;
            Persist(new SeedRecallDelivered(State.Seed!.Sid, count, _clock.GetCurrentInstant()), e => State = State.Apply(e));
        });
        Command<RecallRetry>(_ => SendRecall());
        Command<GetSeed>(_ => Sender.Tell(new SeedFound(State.Seed)));
        Command<SeedInLineSet>(ack => { if (ack.Version >= State.Version) { _lineAcked = true; Timers.Cancel(LineSyncTimer); } });
        Command<SyncLine>(_ => SendToLine());
        Command<Messages.CommandAccepted>(_ => { });
        Command<ReceiveTimeout>(_ =>
        {
            if (_lineAcked && !State.RecallOwed) Passivate();
        });
        HandleSnapshotReplies();
    }

    /// <summary>The CommandFailed code of a submission that breaks a limit (SeedLimits).</summary>
    public const string InvalidSeed = "invalid_seed";

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void OnReplaySuccess()
    {
        base.OnReplaySuccess();
        // After a restart the line may have missed the last change; the line ignores versions it already has.
        if (State.Seed is not null) StartLineSync();
        // A recall that had not reached every garden before a restart goes on (the garden entities handle it idempotently).
        if (State.RecallOwed) StartRecall();
    }

    private void HandleOrRefuse(Messages.Domain.SeedId sid, (ImmutableArray<ISeedEvent> Events, string? Code, string? Message) decision)
    {
        if (decision.Code is { } code)
        {
            Sender.Tell(Messages.CommandFailed.Of(code, decision.Message ?? code));
            return;
        }
        Handle(sid, decision.Events);
        if (decision.Events.Any(e => e is SeedRecalled)) DeferAsync(sid, _ => StartRecall());
        if (decision.Events.Any(e => e is SeedUnrecalled))
        {
            _recallFollowers = null;
            _recallAwaiting.Clear();
            Timers.Cancel(RecallTimer);
        }
    }

    /// <summary>Asks the line (after the line update StartLineSync sent, so the line already excludes the seed when gardens
    /// resolve its replacement) which subscriptions follow it, then tells each garden entity.</summary>
    private void StartRecall()
    {
        if (State.Seed is not { } seed || State.Line is not { } line) return;
        _shards.SeedLines.Tell(new GetSeedLineFollowers(line, seed.Sid, "recall:" + State.Version));
        Timers.StartPeriodicTimer(RecallTimer, RecallRetry.Instance, _settings.FanOutRetryInterval);
    }

    private void OnFollowers(SeedLineFollowers reply)
    {
        if (!State.RecallOwed || State.Seed?.Recall is null) return;
        _recallFollowers = reply.Followers;
        _recallAwaiting.Clear();
        foreach (var f in reply.Followers) _recallAwaiting.Add(f.Subscription.Value);
        if (_recallAwaiting.Count == 0)
        {
            _recallFollowers = null;
            Timers.Cancel(RecallTimer);
            Persist(new SeedRecallDelivered(State.Seed!.Sid, 0, _clock.GetCurrentInstant()), e => State = State.Apply(e));
            return;
        }
        SendRecall();
    }

    /// <summary>(Re)sends the recall to every garden entity that has not answered; without the followers yet, asks again.</summary>
    private void SendRecall()
    {
        if (!State.RecallOwed || State.Seed is not { Recall: { } recall } seed)
        {
            Timers.Cancel(RecallTimer);
            return;
        }
        if (_recallFollowers is not { } followers)
        {
            if (State.Line is { } line) _shards.SeedLines.Tell(new GetSeedLineFollowers(line, seed.Sid, "recall:" + State.Version));
            return;
        }
        foreach (var f in followers.Where(f => _recallAwaiting.Contains(f.Subscription.Value)))
        {
            _shards.Gardens.Tell(new RecallOnGarden(f.Garden, f.Subscription, seed, recall.Force, recall.By));
        }
    }

    private void Handle(Messages.Domain.SeedId sid, ImmutableArray<ISeedEvent> events)
    {
        if (events.IsEmpty)
        {
            Sender.Tell(State.Seed is null ? new SeedFound(null) : new SeedSubmissionResult(State.Seed, Created: false));
            return;
        }
        var sender = Sender;
        var created = events.Any(e => e is SeedRegistered or ReportedSeedClaimed);
        var writing = ServerInstruments.Timestamp();
        var remaining = events.Length;
        // In the last event's handler, not DeferAsync: Akka unstashes the next command as soon as the events' handlers have
        // run, ahead of a deferred handler, so a reply or tell from DeferAsync could come after the next command's (a dead
        // letter when that command stops the recipient, a stale answer otherwise).
        PersistAll(events, e =>
        {
            Applied(e);
            if (--remaining > 0) return;
            ServerInstruments.JournalWritten("seed", writing);
            // The line hears of the seed before the submitter does: a client that deploys the seed the moment its
            // submission is answered finds it in the line (the line's mailbox already holds the update).
            StartLineSync();
            sender.Tell(new SeedSubmissionResult(State.Seed!, created));
        });
    }

    private void StartLineSync()
    {
        _lineAcked = false;
        SendToLine();
        Timers.StartPeriodicTimer(LineSyncTimer, SyncLine.Instance, _settings.FanOutRetryInterval);
    }

    private void SendToLine()
    {
        if (State.Seed is not { } seed) return;
        if (State.PreviousName is { } old && old != seed.Name)
        {
            _shards.SeedLines.Tell(new RemoveSeedFromLine(new SeedLineKey(seed.Type, old), seed.Sid));
        }
        _shards.SeedLines.Tell(new SetSeedInLine(new SeedLineKey(seed.Type, seed.Name), seed, State.Version, State.LastChangeFansOut));
    }

    private sealed class RecallRetry : INoSerializationVerificationNeeded
    {
        public static readonly RecallRetry Instance = new();
    }

    private sealed class SyncLine : INoSerializationVerificationNeeded
    {
        public static readonly SyncLine Instance = new();
    }
}

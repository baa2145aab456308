using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using Sower.Messages.Seeds;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedEvents;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedQueries;

namespace Sower.Actors.Server;

/// <summary>
/// One seed (sharded, persistent, id = SeedIdentity.For(type, artifact)). Decides new vs re-submission, then keeps its
/// seed line up to date: it stays alive (and, with remember-entities, is restarted after a crash) until the line has
/// acknowledged the latest version, so a seed can never be registered without reaching its line.
/// </summary>
public sealed class SeedActor : ReceivePersistentActor, IWithTimers
{
    private const string LineSyncTimer = "line-sync";
    private readonly IClock _clock;
    private readonly ShardRefs _shards;
    private readonly ServerEntitySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private SeedState _state = SeedState.Empty;
    private bool _lineAcked = true;

    public SeedActor(string entityId, IClock clock, ShardRefs shards, ServerEntitySettings settings)
    {
        PersistenceId = "seed-" + entityId;
        _clock = clock;
        _shards = shards;
        _settings = settings;

        Recover<SnapshotOffer>(offer => { if (offer.Snapshot is SeedState s) _state = s; });
        Recover<ISeedEvent>(e => _state = _state.Apply(e));

        Command<SubmitSeed>(cmd =>
        {
            var problems = _state.Check(cmd);
            if (!problems.IsEmpty)
            {
                Sender.Tell(new Messages.CommandFailed(InvalidSeed, "the seed was rejected: " + string.Join("; ", problems), problems));
                return;
            }
            Handle(cmd.SeedId, _state.Decide(cmd, _clock.GetCurrentInstant()));
        });
        // Only an older node still sends this: a garden's report never registers a seed (issue 12).
        Command<RegisterReportedSeed>(cmd =>
        {
            _log.Warning("refused to register {0} reported by garden {1}: garden reports are recorded on the garden only", cmd.Artifact, cmd.By);
            Sender.Tell(new SeedFound(_state.Seed));
        });
        Command<RetireSeed>(cmd => Handle(cmd.SeedId, _state.Decide(cmd, _clock.GetCurrentInstant())));
        Command<RemoveSeedTag>(cmd => Handle(cmd.SeedId, _state.Decide(cmd, _clock.GetCurrentInstant())));
        Command<GetSeed>(_ => Sender.Tell(new SeedFound(_state.Seed)));
        Command<SeedInLineSet>(ack => { if (ack.Version >= _state.Version) { _lineAcked = true; Timers.Cancel(LineSyncTimer); } });
        Command<SyncLine>(_ => SendToLine());
        Command<Messages.CommandAccepted>(_ => { });
        Command<ReceiveTimeout>(_ =>
        {
            if (_lineAcked) Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("snapshot of {0} failed: {1}", PersistenceId, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    /// <summary>The CommandFailed code of a submission that breaks a limit (SeedLimits).</summary>
    public const string InvalidSeed = "invalid_seed";

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Context.SetReceiveTimeout(_settings.PassivateAfter);
        base.PreStart();
    }

    protected override void OnReplaySuccess()
    {
        // After a restart the line may have missed the last change; the line ignores versions it already has.
        if (_state.Seed is not null) StartLineSync();
    }

    private void Handle(Messages.Domain.SeedId sid, ImmutableArray<ISeedEvent> events)
    {
        if (events.IsEmpty)
        {
            Sender.Tell(_state.Seed is null ? new SeedFound(null) : new SeedSubmissionResult(_state.Seed, Created: false));
            return;
        }
        var sender = Sender;
        var created = events.Any(e => e is SeedRegistered or ReportedSeedClaimed);
        PersistAll(events, e =>
        {
            _state = _state.Apply(e);
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(_state);
        });
        DeferAsync(sid, _ =>
        {
            sender.Tell(new SeedSubmissionResult(_state.Seed!, created));
            StartLineSync();
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
        if (_state.Seed is not { } seed) return;
        if (_state.PreviousName is { } old && old != seed.Name)
        {
            _shards.SeedLines.Tell(new RemoveSeedFromLine(new SeedLineKey(seed.Type, old), seed.Sid));
        }
        _shards.SeedLines.Tell(new SetSeedInLine(new SeedLineKey(seed.Type, seed.Name), seed, _state.Version, _state.LastChangeFansOut));
    }

    private sealed class SyncLine : INoSerializationVerificationNeeded
    {
        public static readonly SyncLine Instance = new();
    }
}

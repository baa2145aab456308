using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using Sower.Actors.Metrics;
using Sower.Messages;
using Sower.Messages.Deployments;
using Sower.Messages.Webhooks;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Deployments.DeploymentEvents;
using static Sower.Messages.Deployments.DeploymentQueries;

namespace Sower.Actors.Server;

/// <summary>
/// One deployment (sharded, persistent, id = deployment sid): the state machine, per-seed progress and append-only logs,
/// the audit trail, and two checks on a timer: stale detection while unresolved (REFERENCE §6.11) and approval expiry
/// while awaiting approval (§6.9). It stays alive, and remembered, while it has a timer to run; the owning garden is told
/// of every change so its index mirrors it.
/// </summary>
public sealed class DeploymentActor : ServerEntityActor<DeploymentEntityState, IDeploymentEvent>, IWithTimers
{
    private const string CheckTimer = "check";
    private const string CreationTimer = "creation";
    private readonly IClock _clock;
    private readonly ShardRefs _shards;
    private readonly ServerEntitySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // A garden can report on a deployment before its CreateDeployment arrives (another sender, maybe another node):
    // such reports wait here briefly instead of being refused (a refused report is dropped by the garden).
    private bool _awaitingCreation;
    private bool _creationGraceOver;

    public DeploymentActor(string entityId, IClock clock, ShardRefs shards, ServerEntitySettings settings)
        : base("deployment", entityId, DeploymentEntityState.Empty, (s, e) => s.Apply(e), settings, recoveryMetric: "deployment")
    {
        _clock = clock;
        _shards = shards;
        _settings = settings;

        Command<CreateDeployment>(cmd => Decide(cmd, () => new DeploymentChanged(State.Deployment!.Garden, State.Deployment.ToSummary())));
        Command<AcknowledgeDeployment>(cmd => Decide(cmd, () => CommandAccepted.Instance));
        Command<SetSeedStatus>(cmd => Decide(cmd, () => CommandAccepted.Instance));
        Command<RecordSeedResult>(cmd => Decide(cmd, () => CommandAccepted.Instance));
        Command<RecordDeploymentResult>(cmd => Decide(cmd, () => CommandAccepted.Instance));
        Command<ApproveDeployment>(cmd => Decide(cmd, () => CommandAccepted.Instance));
        Command<RejectDeployment>(cmd => Decide(cmd, () => CommandAccepted.Instance));
        Command<CancelDeployment>(cmd => Decide(cmd, () => CommandAccepted.Instance));
        Command<RedispatchDeployment>(cmd => Decide(cmd, () => CommandAccepted.Instance));
        Command<GetDeployment>(_ =>
        {
            Sender.Tell(new DeploymentFound(State.Deployment));
            if (State.Deployment is null && !_awaitingCreation) Passivate();
        });
        Command<Check>(_ => RunChecks());
        Command<CreationGraceOver>(_ =>
        {
            _awaitingCreation = false;
            _creationGraceOver = true;
            Stash.UnstashAll();
        });
        Command<ReceiveTimeout>(_ =>
        {
            if (!NeedsTimer) Passivate();
        });
        HandleSnapshotReplies();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private bool NeedsTimer => State.Deployment is { } d && (d.State.IsUnresolved() || d.State == DeploymentState.AwaitingApproval);

    protected override void OnReplaySuccess()
    {
        base.OnReplaySuccess();
        ArmTimer();
        // A restarted deployment re-announces itself, so a garden index that missed the last change converges.
        if (State.Deployment is { } d) _shards.Gardens.Tell(new DeploymentChanged(d.Garden, d.ToSummary()));
    }

    private void Decide(object command, Func<object> reply)
    {
        var (error, events) = State.Decide(command, _clock.GetCurrentInstant());
        if (error is not null && State.Deployment is null && !_creationGraceOver
            && command is AcknowledgeDeployment or SetSeedStatus or RecordSeedResult or RecordDeploymentResult)
        {
            Stash.Stash();
            if (!_awaitingCreation)
            {
                _awaitingCreation = true;
                Timers.StartSingleTimer(CreationTimer, CreationGraceOver.Instance, _settings.CreationGrace);
            }
            return;
        }
        if (error is not null)
        {
            Sender.Tell(error);
            if (State.Deployment is null) Passivate();
            return;
        }
        if (events.IsEmpty)
        {
            // The garden updated its index optimistically for these; when nothing changed here, correct it.
            if (command is CancelDeployment or RedispatchDeployment && State.Deployment is { } current)
            {
                _shards.Gardens.Tell(new DeploymentChanged(current.Garden, current.ToSummary()));
            }
            Sender.Tell(reply());
            return;
        }
        var sender = Sender;
        PersistAndNotify(events, () =>
        {
            sender.Tell(reply());
            if (_awaitingCreation && State.Deployment is not null)
            {
                _awaitingCreation = false;
                Timers.Cancel(CreationTimer);
                Stash.UnstashAll();
            }
        });
    }

    private void PersistAndNotify(ImmutableArray<IDeploymentEvent> events, Action after)
    {
        var writing = ServerInstruments.Timestamp();
        var remaining = events.Length;
        // In the last event's handler, not DeferAsync: Akka unstashes the next command as soon as the events' handlers have
        // run, ahead of a deferred handler, so a reply or tell from DeferAsync could come after the next command's (a dead
        // letter when that command stops the recipient, a stale answer otherwise).
        PersistAll(events, e =>
        {
            Applied(e);
            ServerInstruments.DeploymentPersisted(e, State.Deployment!);
            // Webhook notifications (issue 14.5): raised once persisted; the outbox dedupes by key.
            if (DeploymentNotifications.For(e, State.Deployment!) is { } notification)
            {
                Context.System.EventStream.Publish(new NotificationRaised(notification));
            }
            if (--remaining > 0) return;
            ServerInstruments.JournalWritten("deployment", writing);
            after();
            var d = State.Deployment!;
            if (events.Any(e => ChangesGardenIndex(e, d)))
            {
                _shards.Gardens.Tell(new DeploymentChanged(d.Garden, d.ToSummary()));
            }
            ArmTimer();
        });
    }

    /// <summary>The garden's index plans with a deployment's state, and with what it executed only once it is completed
    /// (DeploymentPlanner): progress within a running deployment (seed status, seed results) is not worth a write to the
    /// garden's journal; the completion carries all of it (issue 17: one journal write fewer per garden and rollout).</summary>
    private static bool ChangesGardenIndex(IDeploymentEvent e, DeploymentRecord after) => e switch
    {
        SeedStatusChanged => false,
        SeedResultRecorded r => (r.Action is not null || r.Result is not null) && !after.State.IsUnresolved() && after.State != DeploymentState.AwaitingApproval,
        _ => true,
    };

    private void ArmTimer()
    {
        if (NeedsTimer)
        {
            if (!Timers.IsTimerActive(CheckTimer)) Timers.StartPeriodicTimer(CheckTimer, Check.Instance, _settings.StaleCheckInterval);
        }
        else
        {
            Timers.Cancel(CheckTimer);
        }
    }

    private void RunChecks()
    {
        var now = _clock.GetCurrentInstant();
        var e = State.StaleCheck(now, _settings.StaleAfter) ?? State.ExpiryCheck(now, _settings.ApprovalExpiry);
        if (e is not null) PersistAndNotify([e], () => { });
    }

    private sealed class Check : INoSerializationVerificationNeeded
    {
        public static readonly Check Instance = new();
    }

    private sealed class CreationGraceOver : INoSerializationVerificationNeeded
    {
        public static readonly CreationGraceOver Instance = new();
    }
}

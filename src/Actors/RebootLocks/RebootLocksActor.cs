using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using Sower.Messages.RebootLocks;
using static Sower.Messages.RebootLocks.RebootLockCommands;
using static Sower.Messages.RebootLocks.RebootLockEvents;
using static Sower.Messages.RebootLocks.RebootLockQueries;

namespace Sower.Actors.RebootLocks;

/// <summary>Registry key for the reboot lock table (a cluster singleton proxy in the <c>ActorRegistry</c>).</summary>
public sealed class RebootLocksActorKey;

/// <summary>
/// The event-sourced reboot lease table (issue 14.3), one per organization as a cluster singleton: a thin shell over
/// <see cref="RebootLockTable"/> that decides, persists, applies, then replies. Expiry is checked on a timer and before
/// every acquisition, and each expiry is published as <see cref="RebootLeaseHeldTooLong"/>.
/// </summary>
public sealed class RebootLocksActor : ReceivePersistentActor, IWithTimers
{
    public const string Id = "reboot-locks";

    private readonly IClock _clock;
    private readonly RebootLockSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private RebootLockTable _table = RebootLockTable.Empty;

    public RebootLocksActor(IClock clock, RebootLockSettings settings, TimeSpan? expiryCheckInterval = null)
    {
        _clock = clock;
        _settings = settings;
        var every = expiryCheckInterval ?? TimeSpan.FromSeconds(30);

        Recover<IRebootLockEvent>(evt => _table = _table.Apply(evt));
        Recover<RecoveryCompleted>(_ => Timers.StartPeriodicTimer("expire", ExpireRebootLeases.Instance, every));

        Command<AcquireRebootLease>(cmd => ExpireThen(() => Execute(_table.Decide(cmd, clock.GetCurrentInstant(), settings))));
        Command<ReleaseRebootLease>(cmd => Execute(_table.Decide(cmd, clock.GetCurrentInstant())));
        Command<ForceReleaseRebootLease>(cmd => Execute(_table.Decide(cmd, clock.GetCurrentInstant())));
        Command<SetRebootGroupRules>(cmd => Execute(_table.Decide(cmd, clock.GetCurrentInstant())));
        Command<ReportGardenInhibition>(cmd => Execute(_table.Decide(cmd, clock.GetCurrentInstant())));
        Command<ExpireRebootLeases>(_ => ExpireThen(() => { }));
        Command<GetRebootLocks>(_ => Sender.Tell(_table.List(clock.GetCurrentInstant(), settings)));
    }

    public override string PersistenceId => Id;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IClock clock, RebootLockSettings settings, TimeSpan? expiryCheckInterval = null) =>
        Akka.Actor.Props.Create(() => new RebootLocksActor(clock, settings, expiryCheckInterval));

    /// <summary>Persists the release of every overdue lease, then runs <paramref name="then"/> on the updated table.</summary>
    private void ExpireThen(Action then)
    {
        var now = _clock.GetCurrentInstant();
        var expired = _table.Expire(now);
        if (expired.IsEmpty)
        {
            then();
            return;
        }
        var overdue = expired.OfType<RebootLeaseReleased>().Select(e => _table.Leases[e.Garden.Value]).ToList();
        var remaining = expired.Length;
        // In the last event's handler, not DeferAsync: Akka unstashes the next command as soon as the events' handlers have
        // run, ahead of a deferred handler, so a reply or tell from DeferAsync could come after the next command's (a dead
        // letter when that command stops the recipient, a stale answer otherwise).
        PersistAll(expired, e =>
        {
            _table = _table.Apply(e);
            if (--remaining > 0) return;
            foreach (var lease in overdue)
            {
                _log.Warning("Reboot lease of {GardenName} ({GardenId}) for {DeploymentId} expired after {LeaseTtl}: held too long", lease.GardenName, lease.Garden.Value, lease.Deployment.Value, _settings.LeaseTtl);
                Context.System.EventStream.Publish(new RebootLeaseHeldTooLong(lease, now));
                Context.System.EventStream.Publish(new Sower.Messages.Webhooks.NotificationRaised(Sower.Messages.Webhooks.Notification.Of(
                    $"{Sower.Messages.Webhooks.NotificationKinds.RebootLockHeldTooLong}:{lease.Garden.Value}:{lease.Deployment.Value}",
                    Sower.Messages.Webhooks.NotificationKinds.RebootLockHeldTooLong, now,
                    $"garden {lease.GardenName} held the reboot lock of group {lease.Group} for deployment {lease.Deployment.Value} past its lease; it was released",
                    ("garden", lease.Garden.Value), ("deployment", lease.Deployment.Value), ("group", lease.Group))));
            }
            then();
        });
    }

    private void Execute(RebootLockDecision decision)
    {
        if (decision.Events.IsEmpty)
        {
            Sender.Tell(decision.Reply);
            return;
        }
        var sender = Sender;
        var remaining = decision.Events.Length;
        PersistAll(decision.Events, e =>
        {
            _table = _table.Apply(e);
            if (--remaining == 0) sender.Tell(decision.Reply); // not DeferAsync: see ExpireThen
        });
    }
}

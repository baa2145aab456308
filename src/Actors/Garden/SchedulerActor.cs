using Akka.Actor;
using Akka.Event;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Actors.Garden;

/// <summary>
/// One subscription's cron job (REFERENCE §5.9): Cronos through the domain's <see cref="CronSchedule"/> in the subscription's
/// zone, driven by Akka timers, time read only through <see cref="IClock"/>. At start it catches up, once, a fire that fell
/// while the process was down (the last covered instant comes from local state).
/// </summary>
public sealed class SchedulerActor : ReceiveActor, IWithTimers
{
    private const string FireTimer = "fire";
    private static readonly Duration MaxTimer = Duration.FromHours(12);
    private readonly CronSchedule _schedule;
    private readonly DateTimeZone _zone;
    private readonly IClock _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Instant? _next;

    public SchedulerActor(CronSchedule schedule, DateTimeZone zone, IClock clock, Instant? coveredUntil, bool processStart)
    {
        _schedule = schedule;
        _zone = zone;
        _clock = clock;
        var now = clock.GetCurrentInstant();
        if (schedule.IsReboot)
        {
            // @reboot fires once when the garden starts and never by time.
            if (processStart) Context.Parent.Tell(new Fired(now, CatchUp: true));
        }
        else if (processStart && coveredUntil is { } covered && schedule.LatestAtOrBefore(now, zone) is { } missed && missed > covered)
        {
            _log.Info("Catching up the schedule fire of {Missed} missed while the garden was down", missed);
            Context.Parent.Tell(new Fired(missed, CatchUp: true));
        }
        Receive<Check>(_ => OnCheck());
        Receive<GetNextFire>(_ => Sender.Tell(new NextFire(_next)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CronSchedule schedule, DateTimeZone zone, IClock clock, Instant? coveredUntil, bool processStart) =>
        Akka.Actor.Props.Create(() => new SchedulerActor(schedule, zone, clock, coveredUntil, processStart));

    protected override void PreStart() => Arm(_clock.GetCurrentInstant());

    /// <summary>Re-evaluate now (timers send it; tests send it after advancing a FakeClock).</summary>
    public sealed class Check
    {
        public static readonly Check Instance = new();
        private Check() { }
    }

    public sealed record Fired(Instant ScheduledFor, bool CatchUp);

    public sealed class GetNextFire
    {
        public static readonly GetNextFire Instance = new();
        private GetNextFire() { }
    }

    public sealed record NextFire(Instant? At);

    private void OnCheck()
    {
        var now = _clock.GetCurrentInstant();
        if (_next is { } due && now >= due)
        {
            Context.Parent.Tell(new Fired(due, CatchUp: false));
            Arm(now);
            return;
        }
        Arm(null);
    }

    private void Arm(Instant? after)
    {
        var now = _clock.GetCurrentInstant();
        if (after is not null) _next = _schedule.NextAfter(after.Value, _zone);
        if (_next is not { } due) { Timers.Cancel(FireTimer); return; }
        var wait = due - now;
        if (wait < Duration.Zero) wait = Duration.Zero;
        if (wait > MaxTimer) wait = MaxTimer;
        Timers.StartSingleTimer(FireTimer, Check.Instance, wait.ToTimeSpan() + TimeSpan.FromMilliseconds(5));
    }
}

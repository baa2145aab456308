using Akka.Actor;
using Akka.Event;
using NodaTime;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

public static class HostConditionCommands
{
    /// <summary>Look at the host now (start, reconnect) and tell the server; <paramref name="Always"/> sends even when nothing changed.</summary>
    public sealed record Check(bool Always);

    /// <summary>Published on the event stream by whoever changed the <see cref="HostConditionStore"/> (an activation, the drift guard).</summary>
    public sealed record Changed;
}

/// <summary>
/// Keeps the server informed of the host's condition (issue 16.4): a reboot pending after a boot-only change, and drift
/// (the host runs something other than what Sower deployed). It looks at the profile links on start and on every
/// reconnect; deployments change the condition themselves and publish <see cref="HostConditionCommands.Changed"/>. The
/// report is a state, not an event: it is sent (not queued in the outbox) whenever connected, and again on each reconnect,
/// so a server that does not know the method never blocks the garden's outbox.
/// </summary>
public sealed class HostConditionActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HostConditionStore _conditions;
    private readonly GardenStateStore _state;
    private readonly ProfileRoots _roots;
    private readonly IClock _clock;
    private readonly IActorRef _link;
    private (RebootPending?, Drift?)? _lastSent;

    public HostConditionActor(HostConditionStore conditions, GardenStateStore state, ProfileRoots roots, IClock clock, IActorRef link)
    {
        _conditions = conditions;
        _state = state;
        _roots = roots;
        _clock = clock;
        _link = link;
        Receive<HostConditionCommands.Check>(c =>
        {
            if (conditions.Observe(roots, clock.GetCurrentInstant(), out var after)) Describe(after);
            Send(after, c.Always);
        });
        Receive<HostConditionCommands.Changed>(_ => Send(conditions.Current, always: false));
        Receive<GardenDaemonCommands.InvokeResult>(r =>
        {
            if (!r.Reply.Ok)
            {
                _lastSent = null; // try again with the next change or session
                if (r.Reply.ErrorCode == ServerLinkActor.NotConnected) return;
                _log.Warning("The server did not take the host condition report: {ErrorCode} {ErrorMessage}", r.Reply.ErrorCode, r.Reply.ErrorMessage);
            }
        });
    }

    public static Props Props(HostConditionStore conditions, GardenStateStore state, ProfileRoots roots, IClock clock, IActorRef link) =>
        Akka.Actor.Props.Create(() => new HostConditionActor(conditions, state, roots, clock, link));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(HostConditionCommands.Changed));
        if (_conditions.ReadError is { } error) _log.Warning("Host condition unknown: {Error}", error);
        if (_conditions.Observe(_roots, _clock.GetCurrentInstant(), out var after)) Describe(after);
        else if (after.RebootPending is not null || after.Drift is not null) Describe(after);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Describe(HostCondition c)
    {
        if (c.RebootPending is { } p) _log.Info("Reboot pending ({Reason}): {System} is installed for the next boot", p.Reason, p.System);
        if (c.Drift is { } d) _log.Warning("Host drifted: {Detail}; it runs {Running}, Sower deployed {Expected}", d.Detail, d.Running ?? "nothing", d.Expected);
        if (c.RebootPending is null && c.Drift is null && c.DeployedSystem is not null) _log.Info("Host runs what Sower deployed: {System}", c.DeployedSystem);
    }

    private void Send(HostCondition c, bool always)
    {
        var reported = (c.RebootPending, c.Drift);
        if (!always && _lastSent == reported) return;
        if (_state.Current.GardenSid is not { } sid) return;
        _lastSent = reported;
        _link.Tell(new GardenDaemonCommands.Invoke(GardenConditionReport.Message(sid, c.RebootPending, c.Drift)));
    }
}

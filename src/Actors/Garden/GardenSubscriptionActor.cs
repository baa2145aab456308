using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

public static class GardenSubscriptionCommands
{
    /// <summary>The subscription as configured and as last synced; sent by the host on start, sync, reload and restart.</summary>
    public sealed record Update(string Name, SubscriptionSpec? Configured, SyncedSubscription? Synced, bool ProcessStart);

    /// <summary>Told to the host by a (re)started GardenSubscriptionActor so it gets its current state back.</summary>
    public sealed record Started(string Name);

    /// <summary>An admin-socket deploy routed to this subscription; the reply goes to <paramref name="ReplyTo"/>.</summary>
    public sealed record Deploy(bool Force, IActorRef ReplyTo);
}

/// <summary>
/// One configured subscription (ARCHITECTURE §5): it holds the last synced state, owns the SchedulerActor, and turns
/// schedule fires, poll-on-connect and admin deploys into <c>deployment:request</c>s after checking the local policy (§4.7).
/// </summary>
public sealed class GardenSubscriptionActor : ReceiveActor
{
    public static readonly Duration Cooldown = Duration.FromSeconds(60);
    private readonly string _name;
    private readonly IActorRef _link;
    private readonly IClock _clock;
    private readonly GardenStateStore _store;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private SyncedSubscription? _synced;
    private IActorRef? _scheduler;
    private (string Sid, string? Schedule, string? Zone)? _schedulerKey;
    private Instant? _lastFired;
    private bool _connected;
    private bool _pendingCatchUp;

    public GardenSubscriptionActor(string name, IActorRef link, IClock clock, GardenStateStore store)
    {
        _name = name;
        _link = link;
        _clock = clock;
        _store = store;

        Receive<GardenSubscriptionCommands.Update>(OnUpdate);
        Receive<SchedulerActor.Fired>(OnFired);
        Receive<GardenDaemonEvents.ConnectionChanged>(c =>
        {
            _connected = c.Connected;
        });
        Receive<GardenDaemonCommands.PollOnConnect>(_ =>
        {
            _connected = true;
            Request(Trigger.PollOnConnect, force: false, replyTo: null);
            if (_pendingCatchUp)
            {
                _pendingCatchUp = false;
                Request(Trigger.Scheduled, force: false, replyTo: null);
            }
        });
        Receive<GardenSubscriptionCommands.Deploy>(d => Request(Trigger.Manual, d.Force, d.ReplyTo));
        Receive<GardenDaemonCommands.InvokeResult>(r => r.Correlation is PendingRequest pending, r => OnRequestOutcome((PendingRequest)r.Correlation!, r.Reply));
        Receive<SchedulerActor.GetNextFire>(q =>
        {
            if (_scheduler is null) Sender.Tell(new SchedulerActor.NextFire(null));
            else _scheduler.Forward(q);
        });
    }

    public static Props Props(string name, IActorRef link, IClock clock, GardenStateStore store) =>
        Akka.Actor.Props.Create(() => new GardenSubscriptionActor(name, link, clock, store));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(GardenDaemonEvents.ConnectionChanged));
        Context.Parent.Tell(new GardenSubscriptionCommands.Started(_name));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void OnUpdate(GardenSubscriptionCommands.Update update)
    {
        _synced = update.Synced;
        var key = _synced is null ? ((string, string?, string?)?)null : (_synced.Sid, _synced.Spec.Schedule, _synced.Spec.Timezone);
        if (key == _schedulerKey && _scheduler is not null) return;
        if (_scheduler is not null) { Context.Stop(_scheduler); _scheduler = null; }
        _schedulerKey = key;
        if (_synced?.Spec.Schedule is not { } expression) return;
        if (!CronSchedule.TryParse(expression, out var schedule, out var error))
        {
            _log.Error("Subscription {Subscription}: unparsable schedule \"{Schedule}\" skipped: {Error}", _name, expression, error);
            return;
        }
        var zone = SeedAdmission.ZoneOf(_synced.Spec);
        var covered = _store.Current.LastFires.TryGetValue(_name, out var at) ? at : (Instant?)null;
        if (covered is null) _store.Update(s => s with { LastFires = s.LastFires.SetItem(_name, _clock.GetCurrentInstant()) });
        _scheduler = Context.ActorOf(SchedulerActor.Props(schedule!, zone, _clock, covered, update.ProcessStart), "scheduler-" + Guid.NewGuid().ToString("N")[..8]);
    }

    private void OnFired(SchedulerActor.Fired fired)
    {
        var now = _clock.GetCurrentInstant();
        _store.Update(s => s with { LastFires = s.LastFires.SetItem(_name, now) });
        if (_lastFired is { } last && now - last < Cooldown)
        {
            _log.Info("Skipping scheduled deployment, fired recently (subscription {Subscription})", _name);
            return;
        }
        _lastFired = now;
        if (_synced is null)
        {
            _log.Warning("Subscription {Subscription} fired but is not stored locally; nothing to request", _name);
            return;
        }
        if (fired.CatchUp && !_connected)
        {
            _pendingCatchUp = true; // sent once the session is up
            return;
        }
        Request(Trigger.Scheduled, force: false, replyTo: null);
    }

    private void Request(Trigger trigger, bool force, IActorRef? replyTo)
    {
        if (_synced is null)
        {
            replyTo?.Tell(new GardenDaemonCommands.AdminReply(false, AdminProtocol.NotSynced));
            return;
        }
        var spec = _synced.Spec;
        var decision = PolicyEvaluator.Evaluate(spec.Policy, trigger, _clock.GetCurrentInstant(), spec.SeedType, SeedAdmission.ZoneOf(spec));
        if (decision.Kind == DecisionKind.Deny)
        {
            _log.Info("Subscription {Subscription}: {Trigger} not permitted by the local policy; no request sent", _name, trigger.ToWire());
            replyTo?.Tell(new GardenDaemonCommands.AdminReply(false, AdminProtocol.PolicyDenied));
            return;
        }
        // Confirm: send anyway, the server turns it into an approval (§4.7).
        var requestId = RequestId.New();
        var request = GatewayRequests.Request(requestId, [_synced.Sid], trigger, force);
        // The link always answers (its own reply timeout, or not_connected), so no Ask is needed here.
        _link.Tell(new GardenDaemonCommands.Invoke(request, new PendingRequest(trigger, requestId.Value, replyTo)));
    }

    private void OnRequestOutcome(PendingRequest outcome, GatewayReply reply)
    {
        if (reply.Ok)
        {
            var awaiting = reply.Body?["status"]?.ToString() == GatewayProtocol.RequestAwaitingApproval;
            _log.Info("Subscription {Subscription}: {Trigger} request {RequestId} accepted", _name, outcome.Trigger.ToWire(), outcome.RequestId);
            outcome.ReplyTo?.Tell(awaiting
                ? new GardenDaemonCommands.AdminReply(false, AdminProtocol.ApprovalRequired)
                : new GardenDaemonCommands.AdminReply(true, AdminProtocol.DeploymentEnqueued));
            return;
        }
        _log.Info("Subscription {Subscription}: {Trigger} request {RequestId} refused: {ErrorCode} {ErrorMessage}", _name, outcome.Trigger.ToWire(), outcome.RequestId, reply.ErrorCode, reply.ErrorMessage);
        var text = reply.ErrorCode switch
        {
            ServerLinkActor.NotConnected => AdminProtocol.NotConnected,
            "policy_denied" => AdminProtocol.PolicyDenied,
            "approval_required" or "awaiting_approval" => AdminProtocol.ApprovalRequired,
            "subscription_not_found" => AdminProtocol.SubscriptionNotFound,
            _ => $"{reply.ErrorCode}{(reply.ErrorMessage is null ? "" : ": " + reply.ErrorMessage)}",
        };
        outcome.ReplyTo?.Tell(new GardenDaemonCommands.AdminReply(false, text));
    }

    private sealed record PendingRequest(Trigger Trigger, string RequestId, IActorRef? ReplyTo);
}

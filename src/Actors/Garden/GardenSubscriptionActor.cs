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
    private readonly string name;
    private readonly IActorRef link;
    private readonly IClock clock;
    private readonly GardenStateStore store;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private SyncedSubscription? synced;
    private IActorRef? scheduler;
    private (string Sid, string? Schedule, string? Zone)? schedulerKey;
    private Instant? lastFired;
    private bool connected;
    private bool pendingCatchUp;

    public GardenSubscriptionActor(string name, IActorRef link, IClock clock, GardenStateStore store)
    {
        this.name = name;
        this.link = link;
        this.clock = clock;
        this.store = store;

        Receive<GardenSubscriptionCommands.Update>(OnUpdate);
        Receive<SchedulerActor.Fired>(OnFired);
        Receive<GardenDaemonEvents.ConnectionChanged>(c =>
        {
            connected = c.Connected;
        });
        Receive<GardenDaemonCommands.PollOnConnect>(_ =>
        {
            connected = true;
            Request(Trigger.PollOnConnect, force: false, replyTo: null);
            if (pendingCatchUp)
            {
                pendingCatchUp = false;
                Request(Trigger.Scheduled, force: false, replyTo: null);
            }
        });
        Receive<GardenSubscriptionCommands.Deploy>(d => Request(Trigger.Manual, d.Force, d.ReplyTo));
        Receive<GardenDaemonCommands.InvokeResult>(r => r.Correlation is PendingRequest pending, r => OnRequestOutcome((PendingRequest)r.Correlation!, r.Reply));
        Receive<SchedulerActor.GetNextFire>(q =>
        {
            if (scheduler is null) Sender.Tell(new SchedulerActor.NextFire(null));
            else scheduler.Forward(q);
        });
    }

    public static Props Props(string name, IActorRef link, IClock clock, GardenStateStore store) =>
        Akka.Actor.Props.Create(() => new GardenSubscriptionActor(name, link, clock, store));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(GardenDaemonEvents.ConnectionChanged));
        Context.Parent.Tell(new GardenSubscriptionCommands.Started(name));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void OnUpdate(GardenSubscriptionCommands.Update update)
    {
        synced = update.Synced;
        var key = synced is null ? ((string, string?, string?)?)null : (synced.Sid, synced.Spec.Schedule, synced.Spec.Timezone);
        if (key == schedulerKey && scheduler is not null) return;
        if (scheduler is not null) { Context.Stop(scheduler); scheduler = null; }
        schedulerKey = key;
        if (synced?.Spec.Schedule is not { } expression) return;
        if (!CronSchedule.TryParse(expression, out var schedule, out var error))
        {
            log.Error("Subscription {Subscription}: unparsable schedule \"{Schedule}\" skipped: {Error}", name, expression, error);
            return;
        }
        var zone = ZoneOf(synced.Spec);
        var covered = store.Current.LastFires.TryGetValue(name, out var at) ? at : (Instant?)null;
        if (covered is null) store.Update(s => s with { LastFires = s.LastFires.SetItem(name, clock.GetCurrentInstant()) });
        scheduler = Context.ActorOf(SchedulerActor.Props(schedule!, zone, clock, covered, update.ProcessStart), "scheduler-" + Guid.NewGuid().ToString("N")[..8]);
    }

    private void OnFired(SchedulerActor.Fired fired)
    {
        var now = clock.GetCurrentInstant();
        store.Update(s => s with { LastFires = s.LastFires.SetItem(name, now) });
        if (lastFired is { } last && now - last < Cooldown)
        {
            log.Info("Skipping scheduled deployment, fired recently (subscription {Subscription})", name);
            return;
        }
        lastFired = now;
        if (synced is null)
        {
            log.Warning("Subscription {Subscription} fired but is not stored locally; nothing to request", name);
            return;
        }
        if (fired.CatchUp && !connected)
        {
            pendingCatchUp = true; // sent once the session is up
            return;
        }
        Request(Trigger.Scheduled, force: false, replyTo: null);
    }

    private void Request(Trigger trigger, bool force, IActorRef? replyTo)
    {
        if (synced is null)
        {
            replyTo?.Tell(new GardenDaemonCommands.AdminReply(false, AdminProtocol.NotSynced));
            return;
        }
        var spec = synced.Spec;
        var decision = PolicyEvaluator.Evaluate(spec.Policy, trigger, clock.GetCurrentInstant(), spec.SeedType, ZoneOf(spec));
        if (decision.Kind == DecisionKind.Deny)
        {
            log.Info("Subscription {Subscription}: {Trigger} not permitted by the local policy; no request sent", name, trigger.ToWire());
            replyTo?.Tell(new GardenDaemonCommands.AdminReply(false, AdminProtocol.PolicyDenied));
            return;
        }
        // Confirm: send anyway, the server turns it into an approval (§4.7).
        var requestId = RequestId.New();
        var request = GatewayRequests.Request(requestId, [synced.Sid], trigger, force);
        // The link always answers (its own reply timeout, or not_connected), so no Ask is needed here.
        link.Tell(new GardenDaemonCommands.Invoke(request, new PendingRequest(trigger, requestId.Value, replyTo)));
    }

    private void OnRequestOutcome(PendingRequest outcome, GatewayReply reply)
    {
        if (reply.Ok)
        {
            var awaiting = reply.Body?["status"]?.ToString() == GatewayProtocol.RequestAwaitingApproval;
            log.Info("Subscription {Subscription}: {Trigger} request {RequestId} accepted", name, outcome.Trigger.ToWire(), outcome.RequestId);
            outcome.ReplyTo?.Tell(awaiting
                ? new GardenDaemonCommands.AdminReply(false, AdminProtocol.ApprovalRequired)
                : new GardenDaemonCommands.AdminReply(true, AdminProtocol.DeploymentEnqueued));
            return;
        }
        log.Info("Subscription {Subscription}: {Trigger} request {RequestId} refused: {ErrorCode} {ErrorMessage}", name, outcome.Trigger.ToWire(), outcome.RequestId, reply.ErrorCode, reply.ErrorMessage);
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

    public static DateTimeZone ZoneOf(SubscriptionSpec spec) => SeedAdmission.ZoneOf(spec);

    private sealed record PendingRequest(Trigger Trigger, string RequestId, IActorRef? ReplyTo);
}

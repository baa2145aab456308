using Akka.Actor;
using Akka.Event;
using Sower.Actors.Server.Presence;
using Sower.Messages.Domain;
using Sower.Messages.Gateway;
using static Sower.Actors.Server.GardenProxyProtocol;

namespace Sower.Actors.Server;

/// <summary>
/// Bridges one live garden connection into the cluster (one per connection, plain actor): it registers with its
/// GardenActor (re-registering periodically, so a restarted garden entity learns of it again), and writes the garden's
/// pushes to the connection. The GardenActor death-watches it; stopping it ends the session. When the connection is lost
/// (<see cref="ConnectionLost"/>) it detaches first and stops on the GardenActor's answer, so that no reply or push of
/// the GardenActor's arrives after it is gone (a dead letter at every disconnect and every normal stop otherwise).
/// </summary>
public sealed class GardenProxyActor : ReceiveActor, IWithTimers
{
    private const string AttachTimer = "attach";
    private const string DetachTimer = "detach";
    private static readonly TimeSpan DetachTimeout = TimeSpan.FromSeconds(10);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public GardenProxyActor(GardenId garden, ConnectionId connection, IGardenConnection outgoing, IActorRef gardens, TimeSpan reattachEvery)
    {
        Receive<Attach>(_ => gardens.Tell(new AttachGardenProxy(garden, connection, Self)));
        Receive<GardenProxyAttached>(_ => { });
        Receive<Messages.CommandFailed>(f => _log.Warning("garden {GardenId} refused proxy {ConnectionId}: {Code}", garden, connection, f.Code));
        Receive<PushToGarden>(push =>
        {
            outgoing.SendAsync(push.Method, push.Payload).PipeTo(Self, success: () => Sent.Instance, failure: ex => new SendFailed(ex));
        });
        Receive<Sent>(_ => { });
        Receive<SendFailed>(f => _log.Warning("push to garden {GardenId} on {ConnectionId} failed: {Reason}", garden, connection, f.Cause.Message));
        Receive<GardenProxyClosed>(c =>
        {
            _log.Info("garden {GardenId}: connection {ConnectionId} closed: {Reason}", garden, connection, c.Reason);
            outgoing.Abort();
            Context.Stop(Self);
        });
        Receive<GardenProxyReplaced>(r =>
        {
            _log.Info("garden {GardenId}: connection {ConnectionId} replaced by {NewConnectionId}", garden, connection, r.By);
            outgoing.Abort();
            Context.Stop(Self);
        });
        Receive<ConnectionLost>(_ =>
        {
            Timers.CancelAll();
            gardens.Tell(new DetachGardenProxy(garden, connection));
            Timers.StartSingleTimer(DetachTimer, DetachUnanswered.Instance, DetachTimeout);
            Become(Detaching);
        });
        _reattachEvery = reattachEvery;
        _garden = garden;
        _connection = connection;
    }

    /// <summary>The connection is gone: whatever the GardenActor still sends is for nobody; stop once it has answered
    /// the detach (or has not, in time: its node may be gone too).</summary>
    private void Detaching()
    {
        Receive<GardenProxyClosed>(_ => Context.Stop(Self));
        Receive<DetachUnanswered>(_ => Context.Stop(Self));
        ReceiveAny(_ => { });
    }

    private readonly GardenId _garden;
    private readonly ConnectionId _connection;

    private readonly TimeSpan _reattachEvery;

    protected override void PreStart()
    {
        // The hub's Join attaches first (and waits for it); this re-attaches in case the garden's entity moved or restarted.
        Timers.StartPeriodicTimer(AttachTimer, Attach.Instance, _reattachEvery, _reattachEvery);
        // Cluster-wide presence (GardenPresenceActor): this connection is live for as long as this proxy runs.
        Context.System.EventStream.Publish(new GardenPresenceChanged(_garden, _connection, Connected: true));
    }

    protected override void PostStop() => Context.System.EventStream.Publish(new GardenPresenceChanged(_garden, _connection, Connected: false));

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(GardenId garden, ConnectionId connection, IGardenConnection outgoing, IActorRef gardens, TimeSpan reattachEvery) =>
        Akka.Actor.Props.Create(() => new GardenProxyActor(garden, connection, outgoing, gardens, reattachEvery));

    private sealed class Attach : INoSerializationVerificationNeeded
    {
        public static readonly Attach Instance = new();
    }

    /// <summary>From the hub: the garden's connection closed.</summary>
    public sealed class ConnectionLost : INoSerializationVerificationNeeded
    {
        public static readonly ConnectionLost Instance = new();
        private ConnectionLost() { }
    }

    private sealed class DetachUnanswered : INoSerializationVerificationNeeded
    {
        public static readonly DetachUnanswered Instance = new();
    }

    private sealed class Sent : INoSerializationVerificationNeeded
    {
        public static readonly Sent Instance = new();
    }

    private sealed record SendFailed(Exception Cause) : INoSerializationVerificationNeeded;
}

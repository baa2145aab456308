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
/// pushes to the connection. The GardenActor death-watches it; stopping it ends the session.
/// </summary>
public sealed class GardenProxyActor : ReceiveActor, IWithTimers
{
    private const string AttachTimer = "attach";
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public GardenProxyActor(GardenId garden, ConnectionId connection, IGardenConnection outgoing, IActorRef gardens, TimeSpan reattachEvery)
    {
        Receive<Attach>(_ => gardens.Tell(new AttachGardenProxy(garden, connection, Self)));
        Receive<GardenProxyAttached>(_ => { });
        Receive<Messages.CommandFailed>(f => _log.Warning("garden {0} refused proxy {1}: {2}", garden, connection, f.Code));
        Receive<PushToGarden>(push =>
        {
            outgoing.SendAsync(push.Method, push.Payload).PipeTo(Self, success: () => Sent.Instance, failure: ex => new SendFailed(ex));
        });
        Receive<Sent>(_ => { });
        Receive<SendFailed>(f => _log.Warning("push to garden {0} on {1} failed: {2}", garden, connection, f.Cause.Message));
        Receive<GardenProxyClosed>(c =>
        {
            _log.Info("garden {0}: connection {1} closed: {2}", garden, connection, c.Reason);
            outgoing.Abort();
            Context.Stop(Self);
        });
        Receive<GardenProxyReplaced>(r =>
        {
            _log.Info("garden {0}: connection {1} replaced by {2}", garden, connection, r.By);
            outgoing.Abort();
            Context.Stop(Self);
        });
        _reattachEvery = reattachEvery;
        _garden = garden;
        _connection = connection;
    }

    private readonly GardenId _garden;
    private readonly ConnectionId _connection;

    private readonly TimeSpan _reattachEvery;

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(AttachTimer, Attach.Instance, TimeSpan.Zero, _reattachEvery);
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

    private sealed class Sent : INoSerializationVerificationNeeded
    {
        public static readonly Sent Instance = new();
    }

    private sealed record SendFailed(Exception Cause) : INoSerializationVerificationNeeded;
}

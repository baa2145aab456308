using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using static Sower.Messages.Tokens.AccessTokenNotifications;

namespace Sower.Actors.Server.Tokens;

/// <summary>Reacts, on one node, to a credential whose sessions are over (closes its live connections, forgets cached
/// answers). Called on the subscriber actor's thread: must be quick and must not throw.</summary>
public interface ICredentialRevocationHandler
{
    void Handle(CredentialRevoked notice);
}

/// <summary>Where <see cref="CredentialRevoked"/> travels: a DistributedPubSub topic in a cluster (every node's
/// <see cref="CredentialRevocationSubscriber"/> gets it, whichever node persisted the change), the local EventStream
/// in a plain actor system (unit tests).</summary>
public static class CredentialRevocations
{
    public const string Topic = "sower-credential-revocations";

    public static void Publish(ActorSystem system, CredentialRevoked notice)
    {
        if (IsCluster(system)) DistributedPubSub.Get(system).Mediator.Tell(new Publish(Topic, notice));
        else system.EventStream.Publish(notice);
    }

    internal static bool IsCluster(ActorSystem system) => ((ExtendedActorSystem)system).Provider is IClusterActorRefProvider;
}

/// <summary>One per node: subscribes to <see cref="CredentialRevocations.Topic"/>, invalidates this node's
/// <see cref="AccessTokenCache"/> (the store only invalidates the cache of the node it runs on) and passes the notice to
/// every registered <see cref="ICredentialRevocationHandler"/>.</summary>
public sealed class CredentialRevocationSubscriber : ReceiveActor
{
    public const string Name = "credential-revocations";

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public CredentialRevocationSubscriber(IEnumerable<ICredentialRevocationHandler> handlers, AccessTokenCache? cache = null)
    {
        var all = handlers.ToArray();
        Receive<CredentialRevoked>(notice =>
        {
            cache?.Invalidate(notice.TokenId);
            foreach (var handler in all)
            {
                try
                {
                    handler.Handle(notice);
                }
                catch (Exception e)
                {
                    _log.Error(e, "handling the revocation of credential {TokenId} failed in {Handler}", notice.TokenId, handler.GetType().Name);
                }
            }
        });
        Receive<SubscribeAck>(_ => { });
    }

    protected override void PreStart()
    {
        if (CredentialRevocations.IsCluster(Context.System))
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(CredentialRevocations.Topic, Self));
        else Context.System.EventStream.Subscribe(Self, typeof(CredentialRevoked));
    }
}

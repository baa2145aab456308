using Akka.Actor;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Gateway;

namespace Sower.Actors.Server;

/// <summary>
/// Messages between a GardenProxyActor (on the node holding the connection) and its GardenActor (wherever sharding put
/// it). They may cross nodes, so they are serializable; actor refs travel as their serialized paths.
/// </summary>
public static class GardenProxyProtocol
{
    public sealed record AttachGardenProxy(GardenId GardenId, ConnectionId Connection, IActorRef Proxy) : IWithGardenId, ISowerSerializable;

    public sealed record GardenProxyAttached(GardenId GardenId, string Name) : ISowerSerializable;

    public sealed record DetachGardenProxy(GardenId GardenId, ConnectionId Connection) : IWithGardenId, ISowerSerializable;

    /// <summary>A push to the live connection: exactly one of the frozen push payloads.</summary>
    public sealed record PushToGarden(DeploymentPush? Deployment, DeploymentErrorPush? Error) : ISowerSerializable
    {
        public string Method => Deployment is not null ? GatewayProtocol.PushDeployment : GatewayProtocol.PushDeploymentError;

        public object Payload => (object?)Deployment ?? Error!;
    }

    /// <summary>The garden was deleted: the proxy closes its connection.</summary>
    public sealed record GardenProxyClosed(string Reason) : ISowerSerializable;

    /// <summary>Another connection of the same garden took over; this proxy closes its connection.</summary>
    public sealed record GardenProxyReplaced(ConnectionId By) : ISowerSerializable;
}

/// <summary>The outgoing side of one live garden connection (the hub context in the server, a fake-free in-process client in tests).</summary>
public interface IGardenConnection
{
    Task SendAsync(string method, object payload);

    void Abort();
}

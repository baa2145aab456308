using Akka.Actor;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;

namespace Sower.Actors.Server;

/// <summary>Local-only messages between a GardenProxyActor and its GardenActor (they carry actor refs; never persisted).</summary>
public static class GardenProxyProtocol
{
    public sealed record AttachGardenProxy(GardenId GardenId, ConnectionId Connection, IActorRef Proxy) : IWithGardenId, INoSerializationVerificationNeeded;

    public sealed record GardenProxyAttached(GardenId GardenId, string Name) : INoSerializationVerificationNeeded;

    public sealed record DetachGardenProxy(GardenId GardenId, ConnectionId Connection) : IWithGardenId, INoSerializationVerificationNeeded;

    /// <summary>A push to the live connection: Method is a GatewayProtocol push name, Payload its wire record.</summary>
    public sealed record PushToGarden(string Method, object Payload) : INoSerializationVerificationNeeded;

    /// <summary>The garden was deleted: the proxy closes its connection.</summary>
    public sealed record GardenProxyClosed(string Reason) : INoSerializationVerificationNeeded;

    /// <summary>Another connection of the same garden took over; this proxy closes its connection.</summary>
    public sealed record GardenProxyReplaced(ConnectionId By) : INoSerializationVerificationNeeded;
}

/// <summary>The outgoing side of one live garden connection (the hub context in the server, a fake-free in-process client in tests).</summary>
public interface IGardenConnection
{
    Task SendAsync(string method, object payload);

    void Abort();
}

using System.Text.Json.Nodes;
using Sower.Messages.Garden;

namespace Sower.Actors.Garden;

/// <summary>
/// The narrow boundary between the ServerLinkActor and the server: enrol once over HTTP, open an authenticated session,
/// invoke requests with replies, receive pushes. The SignalR adapter implements it; tests can run an in-process server.
/// </summary>
public interface IGardenGateway
{
    Task<EnrollmentResult> EnrollAsync(GardenConfig config, string hostIdentifier, string version, CancellationToken cancellationToken);

    Task<IGatewaySession> ConnectAsync(GardenConfig config, string credential, IGatewayListener listener, CancellationToken cancellationToken);
}

public interface IGatewaySession : IAsyncDisposable
{
    /// <summary>The server-assigned connection id, when it tells one.</summary>
    string? ConnectionId { get; }

    Task<GatewayReply> InvokeAsync(string method, JsonObject payload, CancellationToken cancellationToken);
}

/// <summary>Callbacks from a live session; implementations only Tell an actor.</summary>
public interface IGatewayListener
{
    void OnPush(string name, JsonNode? payload);

    void OnClosed(Exception? error);
}

public sealed record EnrollmentResult(string GardenSid, string Name, string Credential);

public enum GatewayRejection
{
    /// <summary>The handshake was refused as unauthorized: drop cached session state and retry with the credential.</summary>
    Unauthorized,

    /// <summary>The credential is unknown or revoked: re-enrol (the server re-binds the same garden by host identifier).</summary>
    CredentialRevoked,

    /// <summary>Enrollment itself was refused (bad or expired enrollment token).</summary>
    EnrollmentRefused,
}

public sealed class GatewayRejectedException(GatewayRejection rejection, string message) : Exception(message)
{
    public GatewayRejection Rejection { get; } = rejection;
}

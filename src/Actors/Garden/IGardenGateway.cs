using System.Text.Json.Nodes;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Actors.Garden;

/// <summary>
/// The narrow boundary between the ServerLinkActor and the server: enrol once over HTTP, open an authenticated session,
/// invoke requests with replies, receive pushes. The SignalR adapter implements it; tests can run an in-process server.
/// </summary>
public interface IGardenGateway
{
    /// <summary>Enrolls; a host the server already knows gets a <see cref="EnrollmentResult.Pending"/> ticket instead of a credential.</summary>
    Task<EnrollmentResult> EnrollAsync(GardenConfig config, string hostIdentifier, string version, CancellationToken cancellationToken);

    /// <summary>Polls a parked enrollment: the credential once approved, the ticket again while it waits.</summary>
    Task<EnrollmentResult> ClaimAsync(GardenConfig config, EnrollmentTicket ticket, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this gateway cannot poll parked enrollments");

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

/// <summary>Either a credential, or (Credential null) a ticket for an enrollment that waits for an admin.</summary>
public sealed record EnrollmentResult(string GardenSid, string Name, string? Credential, EnrollmentTicket? Pending = null, string? Message = null);

public enum GatewayRejection
{
    /// <summary>The handshake was refused as unauthorized: drop cached session state and retry with the credential.</summary>
    Unauthorized,

    /// <summary>The credential is unknown or revoked: re-enrol (the server re-binds the same garden by host identifier).</summary>
    CredentialRevoked,

    /// <summary>Enrollment itself was refused (bad or expired enrollment token).</summary>
    EnrollmentRefused,

    /// <summary>The server deleted this garden; its host identifier is refused until an admin restores it.</summary>
    GardenDeleted,

    /// <summary>An admin rejected the parked enrollment.</summary>
    EnrollmentRejected,

    /// <summary>The parked enrollment expired or is gone: ask again.</summary>
    EnrollmentLapsed,
}

public sealed class GatewayRejectedException(GatewayRejection rejection, string message) : Exception(message)
{
    public GatewayRejection Rejection { get; } = rejection;
}

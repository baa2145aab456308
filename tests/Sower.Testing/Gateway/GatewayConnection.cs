using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Sower.Messages.Gateway;

namespace Sower.Testing.Gateway;

/// <summary>The SignalR connection a test garden opens to the gateway hub, with its credential as the bearer token and the
/// gateway's snake_case JSON.</summary>
public static class GatewayConnection
{
    /// <param name="webSocketsOnly">Connect like the real garden (WebSockets, no negotiation), so that no sticky session is
    /// needed behind a load balancer.</param>
    public static HubConnection Build(Uri baseAddress, string credential, bool webSocketsOnly = false) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, GatewayProtocol.HubPath), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(credential);
                if (!webSocketsOnly) return;
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .Build();

    /// <summary>Sends a typed request (<see cref="GatewayRequests"/>) on its hub method; returns the raw reply.</summary>
    public static Task<JsonElement> Send(this HubConnection connection, IGatewayRequest request, CancellationToken cancellationToken = default) =>
        connection.InvokeAsync<JsonElement>(GatewayRequests.MethodOf(request), GatewayRequests.ToPayload(request), cancellationToken);
}

using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.SignalR;
using Sower.Messages.Gateway;
using Sower.Server.Cli;
using Sower.Server.Gateway;

namespace Sower.Server.Sessions;

/// <summary>
/// Tracks every token-authenticated hub connection (the garden gateway, the CLI hub) in <see cref="LiveSessions"/>, so
/// revoking, regenerating or the expiry of its token aborts it, and refuses each message of a connection whose session
/// has ended (the window between the revocation and the abort). Blazor's own hub is left to <see cref="ConsoleCircuitSessions"/>.
/// </summary>
public sealed class LiveSessionHubFilter(LiveSessions sessions) : IHubFilter
{
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (IsTracked(context.Hub))
        {
            var connection = context.Context;
            sessions.Open(Key(connection.ConnectionId), Kind(context.Hub), connection.User, _ => connection.Abort());
        }
        await next(context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        try
        {
            await next(context, exception);
        }
        finally
        {
            if (IsTracked(context.Hub)) sessions.Close(Key(context.Context.ConnectionId));
        }
    }

    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (!IsTracked(invocation.Hub) || sessions.IsUsable(Key(invocation.Context.ConnectionId))) return next(invocation);
        const string message = "the access token of this connection was revoked, replaced or has expired";
        // The garden protocol answers every method with a reply; the other hubs (streams) get a hub error.
        if (invocation.Hub is GardenHub) return ValueTask.FromResult<object?>(GatewayReply.Failure(GatewayErrors.Unauthorized, message));
        throw new HubException("unauthorized: " + message);
    }

    private static string Key(string connectionId) => "hub:" + connectionId;

    private static string Kind(Hub hub) => hub switch
    {
        GardenHub => "garden hub",
        CliHub => "cli hub",
        _ => hub.GetType().Name,
    };

    /// <summary>Every hub except Blazor's circuit hub, whose sessions <see cref="ConsoleCircuitSessions"/> tracks.</summary>
    private static bool IsTracked(Hub hub) => hub.GetType().Assembly != typeof(CircuitHandler).Assembly;
}

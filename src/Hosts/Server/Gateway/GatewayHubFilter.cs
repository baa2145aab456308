using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Sower.Actors.Metrics;
using Sower.Messages.Gateway;

namespace Sower.Server.Gateway;

/// <summary>
/// Runs before every garden hub method: the per-connection rate limit (floods are throttled, not disconnected), the
/// payload size limit (an oversized payload gets `payload_too_large`, the connection stays), and "join first".
/// Unexpected failures become an error reply, so the connection survives them too.
/// </summary>
public sealed class GatewayHubFilter(GardenSessions sessions, ILogger<GatewayHubFilter> log) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (invocation.Hub is not GardenHub) return await next(invocation);
        var reply = await InvokeGardenMethodAsync(invocation, next);
        // The method name is one of the hub's own (SignalR refuses unknown ones before filters run); the code a closed set.
        ServerInstruments.GatewayMessage(invocation.HubMethodName, reply is GatewayReply { Ok: false, Error: { } error } ? error.Code : null);
        return reply;
    }

    private async ValueTask<object?> InvokeGardenMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var session = sessions.Get(invocation.Context.ConnectionId);
        if (session is null) return GatewayReply.Failure(GatewayErrors.Unauthorized, "no garden session on this connection");
        using (var lease = session.Limiter.AttemptAcquire())
        {
            if (!lease.IsAcquired) return GatewayReply.Failure(GatewayErrors.RateLimited, "too many messages, slow down");
        }
        foreach (var argument in invocation.HubMethodArguments)
        {
            if (argument is JsonElement element && Encoding.UTF8.GetByteCount(element.GetRawText()) > GatewayProtocol.MaxPayloadBytes)
            {
                return GatewayReply.Failure(GatewayErrors.PayloadTooLarge, $"payload larger than {GatewayProtocol.MaxPayloadBytes} bytes");
            }
        }
        if (!session.Joined && invocation.HubMethod.Name is not (nameof(GardenHub.Join) or nameof(GardenHub.Ping)))
        {
            return GatewayReply.Failure(GatewayErrors.NotJoined, "send join first");
        }
        try
        {
            return await next(invocation);
        }
        catch (Exception e) when (e is Akka.Actor.AskTimeoutException or TaskCanceledException or TimeoutException)
        {
            log.LogWarning("garden {GardenId}: {Method} timed out", session.Garden, invocation.HubMethodName);
            return GatewayReply.Failure(GatewayErrors.Unavailable, "the server did not answer in time, retry");
        }
        catch (Exception e) when (e is not HubException)
        {
            log.LogError(e, "garden {GardenId}: {Method} failed", session.Garden, invocation.HubMethodName);
            return GatewayReply.Failure(GatewayErrors.Unavailable, "internal error, retry");
        }
    }
}

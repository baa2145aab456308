using Microsoft.AspNetCore.SignalR;
using Sower.Messages.Gateway;

namespace Sower.Server.Gateway;

public static class GatewayHostingExtensions
{
    /// <summary>SignalR with the JSON protocol in snake_case, the frame limit, the 60 s silence timeout, the live-session
    /// filter (needs <c>AddSowerLiveSessions</c>) and the gateway filter.</summary>
    public static WebApplicationBuilder AddSowerGateway(this WebApplicationBuilder builder, GatewayOptions? options = null)
    {
        var effective = options ?? new GatewayOptions();
        builder.Services.AddSingleton(effective);
        builder.Services.AddSingleton<GardenSessions>();
        builder.Services.AddSignalR(o =>
            {
                o.MaximumReceiveMessageSize = GatewayProtocol.MaxFrameBytes;
                o.ClientTimeoutInterval = effective.ClientTimeout;
                o.KeepAliveInterval = effective.KeepAlive;
                o.EnableDetailedErrors = false;
                // One call at a time per connection (SignalR's default, stated because the gateway relies on it): a garden
                // whose call waits for a busy journal sends nothing else meanwhile; that bounds the work in flight to one per
                // garden (issue 17).
                o.MaximumParallelInvocationsPerClient = 1;
                // Outermost: a connection whose token was revoked is refused before anything else looks at its message.
                o.AddFilter<Sessions.LiveSessionHubFilter>();
                o.AddFilter<GatewayHubFilter>();
            })
            .AddJsonProtocol(o =>
            {
                o.PayloadSerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
                o.PayloadSerializerOptions.DictionaryKeyPolicy = null;
            });
        return builder;
    }

    public static WebApplication MapSowerGateway(this WebApplication app)
    {
        app.MapHub<GardenHub>(GatewayProtocol.HubPath);
        return app;
    }
}

using Microsoft.AspNetCore.Components.Server.Circuits;
using Sower.Actors.Server.Tokens;

namespace Sower.Server.Sessions;

public static class SessionsHostingExtensions
{
    /// <summary>Live sessions end when their credential does: the per-node <see cref="LiveSessions"/> registry (fed by
    /// the hub filter, which <c>AddSowerGateway</c> installs, and by the console's circuit handler), the revocation
    /// handler the token store's notices reach on every node, and the expiry/re-check sweep.</summary>
    public static WebApplicationBuilder AddSowerLiveSessions(this WebApplicationBuilder builder, LiveSessionOptions? options = null)
    {
        var services = builder.Services;
        services.AddSingleton(options ?? new LiveSessionOptions());
        services.AddSingleton<LiveSessions>();
        services.AddSingleton<ICredentialRevocationHandler>(sp => sp.GetRequiredService<LiveSessions>());
        services.AddSingleton<LiveSessionHubFilter>();
        services.AddScoped<CircuitHandler, ConsoleCircuitSessions>();
        services.AddHostedService<LiveSessionSweeper>();
        return builder;
    }
}

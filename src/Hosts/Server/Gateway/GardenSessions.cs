using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Akka.Actor;
using Microsoft.AspNetCore.SignalR;
using Sower.Messages.Domain;

namespace Sower.Server.Gateway;

/// <summary>Limits of the garden gateway; tests may tighten them.</summary>
public sealed record GatewayOptions
{
    /// <summary>Burst of messages a connection may send at once.</summary>
    public int RateLimitBurst { get; init; } = 60;

    /// <summary>Messages per second a connection may sustain.</summary>
    public int RateLimitPerSecond { get; init; } = 30;

    /// <summary>The server drops a connection silent this long (REFERENCE §5.5).</summary>
    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>One live garden connection: which garden it is, its cluster proxy once joined, and its rate limiter.</summary>
public sealed class GardenSession(GardenId garden, ConnectionId connection, HubCallerContext context, RateLimiter limiter) : IDisposable
{
    public GardenId Garden { get; } = garden;
    public ConnectionId Connection { get; } = connection;
    public HubCallerContext Context { get; } = context;
    public RateLimiter Limiter { get; } = limiter;
    public IActorRef? Proxy { get; set; }
    public string? GardenName { get; set; }
    public bool Joined => Proxy is not null;

    public void Dispose() => Limiter.Dispose();
}

/// <summary>The live garden connections of this node, by SignalR connection id.</summary>
public sealed class GardenSessions(GatewayOptions options)
{
    private readonly ConcurrentDictionary<string, GardenSession> _sessions = new(StringComparer.Ordinal);

    public GardenSession Open(string signalRConnection, GardenId garden, HubCallerContext context)
    {
        var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.RateLimitBurst,
            TokensPerPeriod = options.RateLimitPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
        var session = new GardenSession(garden, ConnectionId.New(), context, limiter);
        _sessions[signalRConnection] = session;
        return session;
    }

    public GardenSession? Get(string signalRConnection) => _sessions.GetValueOrDefault(signalRConnection);

    public GardenSession? Close(string signalRConnection) => _sessions.TryRemove(signalRConnection, out var s) ? s : null;

    public int Count => _sessions.Count;
}

/// <summary>Writes pushes to one SignalR connection.</summary>
public sealed class HubGardenConnection(IHubContext<GardenHub> hub, string signalRConnection, HubCallerContext context) : Actors.Server.IGardenConnection
{
    public Task SendAsync(string method, object payload) => hub.Clients.Client(signalRConnection).SendAsync(method, payload);

    public void Abort() => context.Abort();
}

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

    /// <summary>
    /// How long a gateway call waits for the entity's answer, which comes after its journal write (issue 17). Under a
    /// fleet-wide burst the write queue is long, not stuck: the call waits for it (each connection has at most one call
    /// in flight, so a waiting garden sends nothing else: that is the back-pressure) instead of answering `unavailable`
    /// after 10 s and having the garden send it again. Below the garden's own <c>server_reply</c> (60 s), so the garden
    /// hears the answer, or at worst `unavailable`, rather than giving up itself.
    /// </summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(50);

    /// <summary>How often one shared timer refills every connection's rate limit (a timer per connection costs idle CPU at
    /// thousands of connections).</summary>
    public TimeSpan RateLimitPeriod { get; init; } = TimeSpan.FromSeconds(1);
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
public sealed class GardenSessions : IDisposable
{
    private readonly ConcurrentDictionary<string, GardenSession> _sessions = new(StringComparer.Ordinal);
    private readonly GatewayOptions _options;
    private readonly Timer _replenish;

    public GardenSessions(GatewayOptions options)
    {
        _options = options;
        _replenish = new Timer(_ => Replenish(), null, options.RateLimitPeriod, options.RateLimitPeriod);
    }

    private void Replenish()
    {
        foreach (var session in _sessions.Values)
        {
            if (session.Limiter is TokenBucketRateLimiter bucket) bucket.TryReplenish();
        }
    }

    public GardenSession Open(string signalRConnection, GardenId garden, HubCallerContext context)
    {
        var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.RateLimitBurst,
            TokensPerPeriod = Math.Max(1, (int)Math.Round(_options.RateLimitPerSecond * _options.RateLimitPeriod.TotalSeconds)),
            ReplenishmentPeriod = _options.RateLimitPeriod,
            QueueLimit = 0,
            // Refilled by the one shared timer above (Replenish), not a timer of its own.
            AutoReplenishment = false,
        });
        var session = new GardenSession(garden, ConnectionId.New(), context, limiter);
        _sessions[signalRConnection] = session;
        return session;
    }

    public GardenSession? Get(string signalRConnection) => _sessions.GetValueOrDefault(signalRConnection);

    public GardenSession? Close(string signalRConnection) => _sessions.TryRemove(signalRConnection, out var s) ? s : null;

    public int Count => _sessions.Count;

    public void Dispose() => _replenish.Dispose();
}

/// <summary>Writes pushes to one SignalR connection.</summary>
public sealed class HubGardenConnection(IHubContext<GardenHub> hub, string signalRConnection, HubCallerContext context) : Actors.Server.IGardenConnection
{
    public Task SendAsync(string method, object payload) => hub.Clients.Client(signalRConnection).SendAsync(method, payload);

    public void Abort() => context.Abort();
}

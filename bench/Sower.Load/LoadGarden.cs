using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Sower.Messages.Deployments;
using Sower.Messages.Gateway;

namespace Sower.Load;

/// <summary>Counters shared by every load garden of one run.</summary>
public sealed class FleetCounters
{
    public readonly ConcurrentDictionary<string, int> Errors = new(StringComparer.Ordinal);
    public int DuplicatePushes;
    public int ExtraDeployments;
    public int SkippedPushes;
    public int Disconnects;

    public void Error(string kind) => Errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
}

/// <summary>
/// One garden as the gateway sees it (the same calls as tests/Sower.Server.Tests/Support/TestGarden.cs and the real
/// garden's SignalRGardenGateway): a WebSocket with its own credential, join, one realtime subscription, and on every
/// push: acknowledge, report the seed's result and the deployment's result, retrying a call that answers
/// `unavailable` or `rate_limited` the way a garden would (after a pause).
/// </summary>
public sealed class LoadGarden(string sid, string credential, FleetCounters counters) : IAsyncDisposable
{
    private readonly HashSet<string> _deployments = new(StringComparer.Ordinal);
    private HubConnection? _connection;

    public string Sid { get; } = sid;

    /// <summary>Stopwatch ticks of the first real push (0 until then).</summary>
    public long FirstPushAt;

    /// <summary>Stopwatch ticks when the deployment result was answered ok (0 until then).</summary>
    public long ResultAt;

    public async Task Connect(Uri endpoint, string seedName)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(endpoint, GatewayProtocol.HubPath), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(credential);
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .Build();
        connection.KeepAliveInterval = TimeSpan.FromSeconds(30);
        connection.ServerTimeout = TimeSpan.FromSeconds(90);
        connection.On<JsonElement>(GatewayProtocol.PushDeployment, push => { _ = Task.Run(() => OnPush(push)); });
        connection.Closed += _ => { Interlocked.Increment(ref counters.Disconnects); return Task.CompletedTask; };
        _connection = connection;
        await connection.StartAsync();
        await Call(GatewayProtocol.Join, new { protocol_version = GatewayProtocol.Version, version = "load" });
        await Call(GatewayProtocol.SubscriptionsSync, new
        {
            subscriptions = new object[]
            {
                new Dictionary<string, object?>
                {
                    ["name"] = "system", ["seed_name"] = seedName, ["seed_type"] = "nixos", ["rules"] = Array.Empty<object>(),
                    ["schedule"] = null, ["timezone"] = "Etc/UTC",
                    ["policy"] = new Dictionary<string, object>
                    {
                        ["live"] = new { actions = new[] { "activate" }, triggers = new[] { "realtime", "manual", "poll_on_connect", "scheduled" } },
                    },
                },
            },
        });
    }

    private async Task OnPush(JsonElement push)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (push.TryGetProperty("skipped", out var skipped) && skipped.GetBoolean())
        {
            Interlocked.Increment(ref counters.SkippedPushes);
            return;
        }
        var deployment = push.GetProperty("sid").GetString()!;
        lock (_deployments)
        {
            if (!_deployments.Add(deployment))
            {
                Interlocked.Increment(ref counters.DuplicatePushes);
                return;
            }
            if (_deployments.Count > 1) Interlocked.Increment(ref counters.ExtraDeployments);
        }
        Interlocked.CompareExchange(ref FirstPushAt, now, 0);
        try
        {
            var seed = push.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString();
            await Call(GatewayRequests.Acknowledged(deployment));
            await Call(new SeedResultMessage(deployment, seed, SeedResult.Success.ToWire(), ExecutedAction.Activate.ToWire(), null));
            await Call(GatewayRequests.DeploymentResult(push.GetProperty("request_id").GetString(), deployment, DeploymentResult.Success.ToWire(),
                DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)));
            Interlocked.CompareExchange(ref ResultAt, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            counters.Error("push_handling_failed: " + e.GetType().Name);
        }
    }

    private Task<JsonElement> Call(IGatewayRequest request) => Call(GatewayRequests.MethodOf(request), GatewayRequests.ToPayload(request));

    /// <summary>Invokes and retries `unavailable`/`rate_limited` up to 10 times (1 s apart); any other refusal throws.</summary>
    private async Task<JsonElement> Call(string method, object payload)
    {
        for (var attempt = 1; ; attempt++)
        {
            var reply = await _connection!.InvokeAsync<JsonElement>(method, payload);
            if (reply.GetProperty("ok").GetBoolean()) return reply.GetProperty("body");
            var code = reply.GetProperty("error").GetProperty("code").GetString() ?? "?";
            counters.Error(code);
            if (code is not (GatewayErrors.Unavailable or GatewayErrors.RateLimited) || attempt >= 10)
            {
                throw new InvalidOperationException($"{method} refused: {reply}");
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
    }

    public static HttpClient Http(Uri endpoint, string token)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = endpoint,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (token.Length > 0) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}

using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Sower.Messages.Gateway;

namespace Sower.Server.Tests.Support;

/// <summary>
/// A garden as the gateway sees it: enrolled through the real API, connected over a real WebSocket with the SignalR
/// client, speaking the documented protocol (docs/gateway-protocol.md). Pushes are collected for assertions.
/// </summary>
public sealed class TestGarden : IAsyncDisposable
{
    private readonly Channel<(string Name, JsonElement Payload)> _pushes = Channel.CreateUnbounded<(string, JsonElement)>();

    private TestGarden(string sid, string name, string credential, HubConnection connection)
    {
        Sid = sid;
        Name = name;
        Credential = credential;
        Connection = connection;
    }

    public string Sid { get; }
    public string Name { get; }
    public string Credential { get; }
    public HubConnection Connection { get; }

    public static Task<TestGarden> EnrollAndConnect(TestServer server, string name, string? hostIdentifier = null, bool join = true) =>
        EnrollAndConnect(server.BaseAddress, server.Admin, name, hostIdentifier, join);

    public static async Task<TestGarden> EnrollAndConnect(Uri baseAddress, HttpClient admin, string name, string? hostIdentifier = null, bool join = true)
    {
        var response = await admin.PostAsync("/api/v1/gardens/register",
            System.Net.Http.Json.JsonContent.Create(new { name, host_identifier = hostIdentifier ?? "host-" + Guid.NewGuid() }));
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201) throw new InvalidOperationException($"enrollment answered {(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement;
        var garden = await Connect(baseAddress, body.GetProperty("sid").GetString()!, name, body.GetProperty("credential").GetString()!);
        if (join) await garden.Join();
        return garden;
    }

    public async Task Join()
    {
        var reply = await Invoke(GatewayProtocol.Join, GatewayRequests.ToPayload(GatewayRequests.Join("test")));
        if (!reply.GetProperty("ok").GetBoolean()) throw new InvalidOperationException("join refused: " + reply);
    }

    public static Task<TestGarden> Connect(TestServer server, string sid, string name, string credential) => Connect(server.BaseAddress, sid, name, credential);

    public static async Task<TestGarden> Connect(Uri baseAddress, string sid, string name, string credential)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, GatewayProtocol.HubPath), o => o.AccessTokenProvider = () => Task.FromResult<string?>(credential))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .Build();
        var garden = new TestGarden(sid, name, credential, connection);
        connection.On<JsonElement>(GatewayProtocol.PushDeployment, p => garden._pushes.Writer.TryWrite((GatewayProtocol.PushDeployment, p)));
        connection.On<JsonElement>(GatewayProtocol.PushDeploymentError, p => garden._pushes.Writer.TryWrite((GatewayProtocol.PushDeploymentError, p)));
        await connection.StartAsync();
        return garden;
    }

    public async Task<JsonElement> Invoke(string method, object payload) => await Connection.InvokeAsync<JsonElement>(method, payload);

    /// <summary>Invokes and asserts an ok reply; returns its body.</summary>
    public async Task<JsonElement> Ok(string method, object payload)
    {
        var reply = await Invoke(method, payload);
        Assert.True(reply.GetProperty("ok").GetBoolean(), $"{method} was refused: {reply}");
        return reply.GetProperty("body");
    }

    /// <summary>Invokes and returns the error code of a refused reply (fails when the reply was ok).</summary>
    public async Task<string> ErrorCode(string method, object payload)
    {
        var reply = await Invoke(method, payload);
        Assert.False(reply.GetProperty("ok").GetBoolean(), $"{method} was accepted: {reply}");
        return reply.GetProperty("error").GetProperty("code").GetString()!;
    }

    /// <summary>Syncs subscriptions given as (name, seed_name, seed_type, policy JSON or null); returns name → sid.</summary>
    public async Task<Dictionary<string, string>> Sync(params object[] subscriptions)
    {
        var body = await Ok(GatewayProtocol.SubscriptionsSync, new { subscriptions });
        return body.GetProperty("subscriptions").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("sid").GetString()!);
    }

    /// <summary>The next push matching the predicate (earlier non-matching pushes are dropped).</summary>
    public async Task<(string Name, JsonElement Payload)> NextPush(Func<string, JsonElement, bool>? match = null, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            while (true)
            {
                var push = await _pushes.Reader.ReadAsync(cts.Token);
                if (match is null || match(push.Name, push.Payload)) return push;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching push reached garden {Name}");
        }
    }

    /// <summary>True when no push arrives within the window (used sparingly: only to prove something is NOT sent).</summary>
    public async Task<bool> NoPushWithin(TimeSpan window, Func<string, JsonElement, bool>? match = null)
    {
        try
        {
            await NextPush(match, window);
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}

public static class Subscriptions
{
    public static readonly object RealtimePolicy = new Dictionary<string, object>
    {
        ["live"] = new { actions = new[] { "activate" }, triggers = new[] { "realtime", "manual", "poll_on_connect", "scheduled" } },
    };

    public static readonly object ConfirmRealtimePolicy = new Dictionary<string, object>
    {
        ["careful"] = new { actions = new[] { "activate" }, triggers = new[] { "realtime", "manual" }, confirm = true },
    };

    public static object NixOS(string name, string seedName, object? policy = null, object? rules = null, string? schedule = null) => new Dictionary<string, object?>
    {
        ["name"] = name, ["seed_name"] = seedName, ["seed_type"] = "nixos", ["rules"] = rules ?? Array.Empty<object>(),
        ["schedule"] = schedule, ["timezone"] = "Etc/UTC", ["policy"] = policy,
    };
}

public static class Seeds
{
    private static int _counter;

    /// <summary>A valid, unique store path (Nix base-32 hash of 32 characters).</summary>
    public static string Artifact(string name)
    {
        const string alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
        var n = Interlocked.Increment(ref _counter) + Random.Shared.Next(1_000_000) * 1000;
        var chars = new char[32];
        for (var i = 0; i < 32; i++) { chars[i] = alphabet[(n + i * 7 + Random.Shared.Next(32)) % 32]; }
        return "/nix/store/" + new string(chars) + "-" + name;
    }

    public static async Task<JsonElement> Submit(TestServer server, string name, string? artifact = null, string query = "", params (string Key, string Value)[] tags)
    {
        var (status, body) = await server.PostJson("/api/v1/seeds" + query, new
        {
            name, seed_type = "nixos", artifact = artifact ?? Artifact("nixos-system-" + name + "-24.05"),
            tags = tags.Select(t => new { key = t.Key, value = t.Value }).ToArray(),
        });
        Assert.True(status is 200 or 201, $"submit answered {status}: {body}");
        return body;
    }
}

using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Sower.Messages.Gateway;
using Xunit;

namespace Sower.Testing.Gateway;

/// <summary>
/// A garden as the gateway sees it: enrolled through the real API, connected over a real WebSocket with the SignalR
/// client, speaking the documented protocol (docs/gateway-protocol.md): the typed records of <see cref="GatewayRequests"/>
/// through <see cref="Send"/>, any payload (hostile ones too) through <see cref="Invoke"/>. Pushes are collected for assertions.
/// Used by the server, UI and cluster tests; <see cref="FleetGarden"/> is its reconnecting, deploying sibling.
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

    public static async Task<TestGarden> EnrollAndConnect(Uri baseAddress, HttpClient admin, string name, string? hostIdentifier = null, bool join = true)
    {
        var enrollment = await GardenEnrollment.EnrollAsync(baseAddress, admin, name, hostIdentifier ?? "host-" + Guid.NewGuid());
        var garden = await Connect(baseAddress, enrollment.Sid, name, enrollment.Credential);
        if (join) await garden.Join();
        return garden;
    }

    public async Task Join()
    {
        var reply = await Send(GatewayRequests.Join("test"));
        if (!reply.GetProperty("ok").GetBoolean()) throw new InvalidOperationException("join refused: " + reply);
    }

    public static async Task<TestGarden> Connect(Uri baseAddress, string sid, string name, string credential)
    {
        var connection = GatewayConnection.Build(baseAddress, credential);
        var garden = new TestGarden(sid, name, credential, connection);
        connection.On<JsonElement>(GatewayProtocol.PushDeployment, p => garden._pushes.Writer.TryWrite((GatewayProtocol.PushDeployment, p)));
        connection.On<JsonElement>(GatewayProtocol.PushDeploymentError, p => garden._pushes.Writer.TryWrite((GatewayProtocol.PushDeploymentError, p)));
        await connection.StartAsync();
        return garden;
    }

    public async Task<JsonElement> Invoke(string method, object payload) => await Connection.InvokeAsync<JsonElement>(method, payload);

    /// <summary>Sends a typed request (<see cref="GatewayRequests"/>) on its hub method; returns the raw reply.</summary>
    public Task<JsonElement> Send(IGatewayRequest request) => Connection.Send(request);

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

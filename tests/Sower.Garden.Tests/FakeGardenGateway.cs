using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Sower.Actors.Garden;
using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Garden.Tests;

/// <summary>
/// An in-process stand-in for the server side of the gateway, for actor tests: records every invocation in order, answers
/// with configurable replies, pushes on demand, and can go offline or drop the session.
/// </summary>
public sealed class FakeGardenGateway : IGardenGateway
{
    private readonly object _gate = new();
    private Session? _current;

    public volatile bool Online = true;
    public int Enrollments;
    public int Connects;
    public bool RevokeNextConnect;
    /// <summary>The next connection is closed by the server before ConnectAsync returns (it kept another connection).</summary>
    public bool CloseNextConnectWhileOpening;
    public ConcurrentQueue<(string Method, JsonObject Payload)> Calls { get; } = new();
    public Func<string, JsonObject, GatewayReply> Reply { get; set; } = DefaultReply;

    public static GatewayReply DefaultReply(string method, JsonObject payload) => method switch
    {
        GatewayProtocol.SubscriptionsSync => GatewayReply.Success(new JsonObject
        {
            ["subscriptions"] = new JsonArray(((JsonArray)payload["subscriptions"]!).Select(s => (JsonNode?)new JsonObject
            {
                ["sid"] = "sub_" + ((string)s!["name"]!).PadRight(24, 'x')[..24].ToLowerInvariant().Replace('-', 'x'),
                ["name"] = (string?)s["name"],
            }).ToArray()),
        }),
        GatewayProtocol.DeploymentRequest => GatewayReply.Success(new JsonObject { ["request_id"] = payload["request_id"]?.DeepClone() }),
        // Like a server whose reboot group is free: the lease is granted.
        Sower.Messages.Gateway.GatewayProtocol.RebootLockAcquire => GatewayReply.Success(new JsonObject
        {
            ["granted"] = true,
            ["group"] = "default",
            ["expires_at"] = "2026-12-05T10:30:00Z",
            ["in_use"] = 0,
            ["max"] = 0,
            ["holders"] = new JsonArray(),
        }),
        _ => GatewayReply.Success(new JsonObject()),
    };

    public Task<EnrollmentResult> EnrollAsync(GardenConfig config, string hostIdentifier, string version, CancellationToken cancellationToken)
    {
        if (!Online) throw new HttpRequestException("server unreachable");
        Interlocked.Increment(ref Enrollments);
        return Task.FromResult(new EnrollmentResult("grdn_aaaaaaaaaaaaaaaaaaaaaaaa", config.Name, "credential-" + Enrollments));
    }

    public Task<IGatewaySession> ConnectAsync(GardenConfig config, string credential, IGatewayListener listener, CancellationToken cancellationToken)
    {
        if (!Online) throw new HttpRequestException("server unreachable");
        if (RevokeNextConnect)
        {
            RevokeNextConnect = false;
            throw new GatewayRejectedException(GatewayRejection.CredentialRevoked, "revoked");
        }
        Interlocked.Increment(ref Connects);
        var session = new Session(this, listener);
        if (CloseNextConnectWhileOpening)
        {
            CloseNextConnectWhileOpening = false;
            session.Closed = true;
            listener.OnClosed(new IOException("replaced by another connection"));
            return Task.FromResult<IGatewaySession>(session);
        }
        lock (_gate) _current = session;
        return Task.FromResult<IGatewaySession>(session);
    }

    public List<(string Method, JsonObject Payload)> CallsOf(string method) => Calls.Where(c => c.Method == method).ToList();

    public void Push(string name, JsonNode payload)
    {
        Session? s;
        lock (_gate) s = _current;
        s?.Listener.OnPush(name, payload);
    }

    /// <summary>The server goes away: the live session closes and new connections fail until <see cref="Online"/> is set again.</summary>
    public void GoOffline()
    {
        Online = false;
        Session? s;
        lock (_gate) { s = _current; _current = null; }
        s?.Listener.OnClosed(new IOException("connection lost"));
    }

    private sealed class Session(FakeGardenGateway owner, IGatewayListener listener) : IGatewaySession
    {
        public IGatewayListener Listener { get; } = listener;

        public string? ConnectionId => "conn_aaaaaaaaaaaaaaaaaaaaaaaa";

        public bool Closed { get; set; }

        public Task<GatewayReply> InvokeAsync(string method, JsonObject payload, CancellationToken cancellationToken)
        {
            if (!owner.Online || Closed) return Task.FromException<GatewayReply>(new IOException("connection lost"));
            owner.Calls.Enqueue((method, (JsonObject)payload.DeepClone()));
            return Task.FromResult(owner.Reply(method, payload));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

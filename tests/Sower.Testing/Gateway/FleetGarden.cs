using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Sower.Messages.Deployments;
using Sower.Messages.Gateway;

namespace Sower.Testing.Gateway;

/// <summary>
/// A garden as the gateway sees it, deploying: it connects through the load balancer (WebSockets, no negotiation),
/// joins, syncs one realtime subscription, and on every push acknowledges, then (once <see cref="Release"/>d) reports the
/// seed's and the deployment's result. Like the real garden it reconnects whenever its connection drops, and it retries
/// every report that did not get an ok answer (a call lost with its node, or refused as <c>unavailable</c>) on whatever
/// connection it has next: these idempotent retries are what must not create or complete anything twice.
/// Without a seed name it only joins (and rejoins), subscribing to nothing. It speaks the typed records of
/// <see cref="GatewayRequests"/>.
/// </summary>
public sealed class FleetGarden : IAsyncDisposable
{
    private readonly Uri _baseAddress;
    private readonly string? _seedName;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, Task> _workers = new(StringComparer.Ordinal);
    private volatile HubConnection? _joined;
    private Task? _loop;

    private FleetGarden(Uri baseAddress, string name, string sid, string credential, string? seedName)
    {
        _baseAddress = baseAddress;
        Name = name;
        Sid = sid;
        Credential = credential;
        _seedName = seedName;
    }

    public string Name { get; }
    public string Sid { get; }
    public string Credential { get; }
    public int Connects { get; private set; }
    public bool Joined => _joined is not null;

    /// <summary>The connection sid the server gave the current joined connection (null while disconnected).</summary>
    public string? ConnectionSid { get; private set; }

    /// <summary>False: after its connection drops the garden stays away (its host is down too) until set true again.</summary>
    public volatile bool Reconnect = true;

    /// <summary>Deployment sid → pushes received for it (not counting pushes marked skipped).</summary>
    public ConcurrentDictionary<string, int> Pushes { get; } = new(StringComparer.Ordinal);

    /// <summary>Deployment sid → the seed sid its push carried.</summary>
    public ConcurrentDictionary<string, string> DeploymentSeeds { get; } = new(StringComparer.Ordinal);

    /// <summary>Deployments the server answered ok to the acknowledgement of.</summary>
    public ConcurrentDictionary<string, bool> Acknowledged { get; } = new(StringComparer.Ordinal);

    /// <summary>Deployments the server answered ok to the result of.</summary>
    public ConcurrentDictionary<string, bool> Completed { get; } = new(StringComparer.Ordinal);

    /// <summary>Gateway refusals other than the retryable ones, and pushes it could not read: any is a failure.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Acknowledgements refused as deployment_not_found and dropped (as the real garden does).</summary>
    public int DroppedAcknowledgements;

    /// <summary>Calls answered `unavailable` or `rate_limited` and retried.</summary>
    public int Retried;

    /// <param name="seedName">The seed its one realtime subscription follows; null: it subscribes to nothing.</param>
    public static async Task<FleetGarden> EnrollAsync(string url, HttpClient admin, string name, string? seedName = null, bool holdResults = false)
    {
        var baseAddress = new Uri(url);
        var enrollment = await GardenEnrollment.EnrollAsync(baseAddress, admin, name, "host-" + name);
        var garden = new FleetGarden(baseAddress, name, enrollment.Sid, enrollment.Credential, seedName);
        if (!holdResults) garden.Release();
        garden._loop = garden.RunAsync();
        return garden;
    }

    /// <summary>Lets every held deployment (and every later one) report its result.</summary>
    public void Release() => _released.TrySetResult();

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (!Reconnect)
            {
                try { await Task.Delay(100, _stop.Token); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            HubConnection? connection = null;
            try
            {
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                connection = GatewayConnection.Build(_baseAddress, Credential, webSocketsOnly: true);
                connection.ServerTimeout = TimeSpan.FromSeconds(30);
                connection.On<JsonElement>(GatewayProtocol.PushDeployment, OnPush);
                connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
                await connection.StartAsync(_stop.Token);
                Connects++;
                // A join or sync answered `unavailable` (the cluster is moving shards) is retried on a new connection.
                var join = await InvokeOn(connection, GatewayRequests.Join("test"));
                var sync = join is null ? null : _seedName is null ? join : await InvokeOn(connection, RealtimeSubscription(_seedName));
                if (join is { } j && sync is not null)
                {
                    ConnectionSid = j.GetProperty("connection_sid").GetString();
                    _joined = connection;
                }
                else
                {
                    await connection.StopAsync();
                }
                await closed.Task.WaitAsync(_stop.Token);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _joined = null;
                ConnectionSid = null;
                if (connection is not null) await connection.DisposeAsync();
            }
            try { await Task.Delay(300, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>subscriptions:sync with one realtime subscription, "system", to <paramref name="seedName"/>.</summary>
    private static SubscriptionsSyncMessage RealtimeSubscription(string seedName) => new(new JsonArray(new JsonObject
    {
        ["name"] = "system",
        ["seed_name"] = seedName,
        ["seed_type"] = "nixos",
        ["rules"] = new JsonArray(),
        ["schedule"] = null,
        ["timezone"] = "Etc/UTC",
        ["policy"] = new JsonObject
        {
            ["live"] = new JsonObject
            {
                ["actions"] = new JsonArray("activate"),
                ["triggers"] = new JsonArray("realtime", "manual", "poll_on_connect"),
            },
        },
    }));

    /// <summary>One call on one connection: the reply's body when ok, null when refused as retryable; throws otherwise.</summary>
    private async Task<JsonElement?> InvokeOn(HubConnection connection, IGatewayRequest request, string? dropOn = null)
    {
        var method = GatewayRequests.MethodOf(request);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var reply = await connection.Send(request, timeout.Token);
        if (reply.GetProperty("ok").GetBoolean()) return reply.GetProperty("body");
        var code = reply.GetProperty("error").GetProperty("code").GetString();
        if (code is GatewayErrors.Unavailable or GatewayErrors.RateLimited)
        {
            Interlocked.Increment(ref Retried);
            return null;
        }
        if (code == dropOn) return default(JsonElement);
        Errors.Enqueue($"{method}: {reply}");
        throw new InvalidOperationException($"{Name}: {method} refused: {reply}");
    }

    /// <summary>Calls on the current joined connection until the server answers ok (the garden's outbox, in short): true;
    /// false when it answered <paramref name="dropOn"/> (the garden drops that message).</summary>
    private async Task<bool> Call(IGatewayRequest request, string? dropOn = null)
    {
        while (!_stop.IsCancellationRequested)
        {
            var connection = _joined;
            if (connection is not null)
            {
                try
                {
                    if (await InvokeOn(connection, request, dropOn) is { } body) return body.ValueKind != JsonValueKind.Undefined;
                }
                catch (Exception e) when (e is not InvalidOperationException || !e.Message.Contains(" refused: ", StringComparison.Ordinal))
                {
                    // The connection died under the call (its node was killed): the next connection retries it.
                }
            }
            await Task.Delay(300, _stop.Token);
        }
        return false;
    }

    private void OnPush(JsonElement push)
    {
        try
        {
            if (push.TryGetProperty("skipped", out var skipped) && skipped.ValueKind == JsonValueKind.True) return;
            var deployment = push.GetProperty("sid").GetString()!;
            var seed = push.GetProperty("seed_deployments")[0].GetProperty("seed").GetProperty("sid").GetString()!;
            Pushes.AddOrUpdate(deployment, 1, (_, n) => n + 1);
            DeploymentSeeds[deployment] = seed;
            // A re-push of a deployment in progress (the server redispatches open ones on reconnect) joins the work already running.
            _workers.GetOrAdd(deployment, d => Task.Run(() => Deploy(d, seed)));
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            Errors.Enqueue($"unreadable push: {push}");
        }
    }

    private async Task Deploy(string deployment, string seed)
    {
        try
        {
            // Like the real garden's outbox, an acknowledgement refused as deployment_not_found (it overtook the creation
            // by more than the server's grace) is dropped, and the deployment goes on: its result must still count.
            if (await Call(GatewayRequests.Acknowledged(deployment), GatewayErrors.DeploymentNotFound))
            {
                Acknowledged[deployment] = true;
            }
            else
            {
                Interlocked.Increment(ref DroppedAcknowledgements);
                Acknowledged[deployment] = false;
            }
            await _released.Task.WaitAsync(_stop.Token);
            await Call(new SeedResultMessage(deployment, seed, SeedResult.Success.ToWire(), ExecutedAction.Activate.ToWire(), null));
            await Call(GatewayRequests.DeploymentResult(null, deployment, DeploymentResult.Success.ToWire(), DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")));
            Completed[deployment] = true;
        }
        catch (OperationCanceledException)
        {
        }
        catch (InvalidOperationException)
        {
            // Recorded in Errors by InvokeOn.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) await _loop;
        await Task.WhenAll(_workers.Values.Select(async w => { try { await w; } catch (OperationCanceledException) { } }));
    }
}

using Akka.Actor;
using Akka.Coordination;
using Akka.Event;

namespace Sower.Actors.Hosting.Membership;

/// <summary>An Akka.Coordination lease held as a row of <c>sower_cluster_leases</c> in the cluster's PostgreSQL
/// database; used by the split brain resolver's <c>lease-majority</c> strategy, so exactly one side of a partition (or
/// the survivor of a two-node cluster) may down the other. Held for <c>heartbeat-timeout</c> from the last renewal, renewed
/// every <c>heartbeat-interval</c>; the connection string comes from the implementation's config block.</summary>
public sealed class PostgreSqlLease : Lease
{
    public const string ConfigPath = "sower.cluster.lease";

    private readonly ClusterDatabase _database;
    private readonly ILoggingAdapter _log;
    private readonly object _gate = new();
    private CancellationTokenSource? _heartbeat;
    private volatile bool _held;

    public PostgreSqlLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        _database = new ClusterDatabase(settings.LeaseConfig.GetString("connection-string"));
        _log = Logging.GetLogger(system, typeof(PostgreSqlLease));
    }

    private TimeSpan Ttl => Settings.TimeoutSettings.HeartbeatTimeout;

    public override Task<bool> Acquire() => Acquire(_ => { });

    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        using var timeout = new CancellationTokenSource(Settings.TimeoutSettings.OperationTimeout);
        try
        {
            await _database.EnsureSchemaAsync(timeout.Token);
            var acquired = await _database.TryAcquireLeaseAsync(Settings.LeaseName, Settings.OwnerName, Ttl, timeout.Token);
            if (acquired) StartHeartbeat(leaseLostCallback);
            _log.Info("Lease {LeaseName} {Outcome} by {Owner}", Settings.LeaseName, acquired ? "acquired" : "is held by another node; not acquired", Settings.OwnerName);
            return acquired;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException)
        {
            throw new LeaseTimeoutException($"acquiring lease {Settings.LeaseName} failed: {e.Message}", e);
        }
    }

    public override async Task<bool> Release()
    {
        StopHeartbeat();
        using var timeout = new CancellationTokenSource(Settings.TimeoutSettings.OperationTimeout);
        try
        {
            await _database.ReleaseLeaseAsync(Settings.LeaseName, Settings.OwnerName, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException)
        {
            // It expires on its own after heartbeat-timeout.
            _log.Warning("Releasing lease {LeaseName} failed ({Reason}); it expires after {LeaseTtl}", Settings.LeaseName, e.Message, Ttl);
            return false;
        }
    }

    public override bool CheckLease() => _held;

    private void StartHeartbeat(Action<Exception> lost)
    {
        lock (_gate)
        {
            _heartbeat?.Cancel();
            var cts = _heartbeat = new CancellationTokenSource();
            _held = true;
            var interval = Settings.TimeoutSettings.HeartbeatInterval;
            _ = Task.Run(async () =>
            {
                while (!cts.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(interval, cts.Token);
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                        timeout.CancelAfter(Settings.TimeoutSettings.OperationTimeout);
                        if (await _database.RenewLeaseAsync(Settings.LeaseName, Settings.OwnerName, Ttl, timeout.Token)) continue;
                        Lost(new LeaseException($"lease {Settings.LeaseName} expired before it was renewed"));
                        return;
                    }
                    catch (OperationCanceledException) when (cts.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException)
                    {
                        // One failed renewal is not a loss yet: the row is valid until expires_at; the next renewal decides.
                        _log.Warning("Renewing lease {LeaseName} failed: {Reason}", Settings.LeaseName, e.Message);
                    }
                }

                void Lost(Exception reason)
                {
                    _held = false;
                    try { lost(reason); }
                    catch (Exception e) { _log.Error(e, "The lease-lost callback of {LeaseName} failed", Settings.LeaseName); }
                }
            });
        }
    }

    private void StopHeartbeat()
    {
        lock (_gate)
        {
            _held = false;
            _heartbeat?.Cancel();
            _heartbeat = null;
        }
    }
}

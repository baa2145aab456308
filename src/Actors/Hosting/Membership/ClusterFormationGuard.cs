using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka;

namespace Sower.Actors.Hosting.Membership;

/// <summary>
/// How a node on a shared PostgreSQL database joins: never by forming a second cluster on a journal another cluster is
/// writing. Every Up node heartbeats its address into <c>sower_cluster_members</c>. A starting node joins the live
/// members it finds there; only when there are none does it form a new cluster, and only while it holds the
/// <c>sower-cluster-formation</c> lease (two nodes starting together on an empty database cannot both form one). When the
/// database keeps showing live members that this node cannot join for <see cref="ClusterSettings.JoinTimeoutSeconds"/>,
/// it refuses to start: the process exits with <see cref="RefusedExitCode"/> and says why.
/// </summary>
public sealed class ClusterFormationGuard
{
    public const int RefusedExitCode = 78;
    public const string FormationLease = "sower-cluster-formation";

    /// <summary>A member row younger than this is a live node (heartbeats every <see cref="HeartbeatInterval"/>).</summary>
    public static readonly TimeSpan Alive = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(3);

    /// <summary>Set (once) when a node refused to start; the host exits with <see cref="RefusedExitCode"/>.</summary>
    public static string? RefusedBecause { get; private set; }

    private readonly ActorSystem _system;
    private readonly Cluster _cluster;
    private readonly ClusterDatabase _database;
    private readonly ClusterSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly string _self;

    private ClusterFormationGuard(ActorSystem system, ClusterSettings settings, PersistenceSettings database)
    {
        _system = system;
        _cluster = Cluster.Get(system);
        _settings = settings;
        _database = new ClusterDatabase(database.ConnectionString);
        _log = Logging.GetLogger(system, typeof(ClusterFormationGuard));
        _self = _cluster.SelfAddress.ToString();
    }

    /// <summary>Starts joining in the background; returns at once.</summary>
    public static void Start(ActorSystem system, ClusterSettings settings, PersistenceSettings database)
    {
        var guard = new ClusterFormationGuard(system, settings, database);
        system.RegisterOnTermination(() => guard._stop.Cancel());
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseClusterLeave, "sower-forget-member", async () =>
        {
            guard._stop.Cancel();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await guard._database.RemoveMemberAsync(guard._self, timeout.Token);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException)
            {
                // The row goes stale on its own within Alive.
            }
            return Done.Instance;
        });
        _ = guard.RunAsync();
    }

    private async Task RunAsync()
    {
        var cancel = _stop.Token;
        try
        {
            await RetryAsync(() => _database.EnsureSchemaAsync(cancel), cancel);
            await JoinAsync(cancel);
            await HeartbeatAsync(cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
    }

    private async Task JoinAsync(CancellationToken cancel)
    {
        DateTime? unjoinableSince = null;
        IReadOnlyList<string> tried = [];
        while (!cancel.IsCancellationRequested)
        {
            var live = await RetryAsync(() => _database.LiveMembersAsync(_self, Alive, cancel), cancel);
            if (live.Count > 0)
            {
                // Welcomed already (members known): joining again would restart the handshake; just wait for Up.
                if (!live.SequenceEqual(tried) && _cluster.State.Members.Count == 0)
                {
                    _log.Info("The database shows live cluster members {Members}: joining them", string.Join(", ", live));
                    _cluster.JoinSeedNodes(live.Select(Address.Parse));
                    tried = live;
                }
                unjoinableSince ??= DateTime.UtcNow;
                if (await UpWithinAsync(TimeSpan.FromSeconds(5), cancel)) return;
                if (DateTime.UtcNow - unjoinableSince > TimeSpan.FromSeconds(_settings.JoinTimeoutSeconds))
                {
                    Refuse($"the database shows live cluster members ({string.Join(", ", live)}) that this node ({_self}) could not join "
                        + $"within {_settings.JoinTimeoutSeconds} s; refusing to form a second cluster on the same journal. Check that this node "
                        + "can reach them (cluster.hostname, cluster.public_hostname, cluster.port, firewalls) and that they can reach it.");
                    return;
                }
                continue;
            }

            unjoinableSince = null;
            if (await RetryAsync(() => _database.TryAcquireLeaseAsync(FormationLease, _self, TimeSpan.FromSeconds(30), cancel), cancel))
            {
                // Under the lease nobody else can form a cluster; a member that appeared meanwhile wins over forming.
                if ((await _database.LiveMembersAsync(_self, Alive, cancel)).Count > 0)
                {
                    await _database.ReleaseLeaseAsync(FormationLease, _self, cancel);
                    continue;
                }
                _log.Info("The database shows no live cluster member: {Node} forms a new cluster", _self);
                await _database.HeartbeatAsync(_self, cancel);
                _cluster.Join(_cluster.SelfAddress);
                var up = await UpWithinAsync(TimeSpan.FromSeconds(30), cancel);
                await _database.ReleaseLeaseAsync(FormationLease, _self, cancel);
                if (up) return;
                continue;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancel);
        }
    }

    private async Task<bool> UpWithinAsync(TimeSpan wait, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < until)
        {
            if (_cluster.SelfMember.Status == MemberStatus.Up) return true;
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancel);
        }
        return _cluster.SelfMember.Status == MemberStatus.Up;
    }

    private async Task HeartbeatAsync(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            var status = _cluster.SelfMember.Status;
            if (_cluster.IsTerminated || status is MemberStatus.Down or MemberStatus.Removed or MemberStatus.Exiting) return;
            try
            {
                await _database.HeartbeatAsync(_self, cancel);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                _log.Warning("Recording this node as a live cluster member failed: {Reason}", e.Message);
            }
            await Task.Delay(HeartbeatInterval, cancel);
        }
    }

    private void Refuse(string reason)
    {
        RefusedBecause ??= reason;
        _log.Error("Refusing to start: {Reason}", reason);
        Console.Error.WriteLine("sower-server: refusing to start: " + reason);
        _ = CoordinatedShutdown.Get(_system).Run(new FormationRefused());
    }

    private async Task<T> RetryAsync<T>(Func<Task<T>> action, CancellationToken cancel)
    {
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException && !cancel.IsCancellationRequested)
            {
                _log.Warning("The cluster membership table is unavailable ({Reason}); retrying", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancel);
            }
        }
    }

    private Task RetryAsync(Func<Task> action, CancellationToken cancel) => RetryAsync(async () => { await action(); return true; }, cancel);

    private sealed class FormationRefused : CoordinatedShutdown.Reason
    {
        public override int ExitCode => RefusedExitCode;
    }
}

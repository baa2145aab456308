using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace Sower.Server.Ui.Services;

public sealed record ClusterMemberRow(string Address, string Status, ImmutableArray<string> Roles, bool Reachable, bool IsLeader, bool IsSelf);

public sealed record ShardRegionRow(string TypeName, string Node, int Shards, int Entities);

public sealed record ClusterSnapshot(string SelfAddress, ImmutableArray<ClusterMemberRow> Members, ImmutableArray<ShardRegionRow> Regions,
    ImmutableArray<string> Problems);

/// <summary>
/// The cluster page's data from public Akka APIs: Cluster.State for members, GetClusterShardingStats per shard type for
/// shards and entity counts. Member changes are pushed: a small actor subscribes to the cluster's membership events and
/// raises <see cref="Changed"/>, so the page updates without asking again on a timer.
/// </summary>
public sealed class ClusterView
{
    private readonly ActorSystem _system;
    private IActorRef? _listener;

    public ClusterView(ActorSystem system) => _system = system;

    public event Action? Changed;

    /// <summary>Starts listening on first use (the actor system is up by the time a page asks).</summary>
    public void EnsureListening()
    {
        if (_listener is not null) return;
        lock (this)
        {
            _listener ??= _system.ActorOf(Props.Create(() => new Listener(this)), "console-cluster-listener-" + Guid.NewGuid().ToString("N")[..8]);
        }
    }

    public async Task<ClusterSnapshot> SnapshotAsync(TimeSpan timeout)
    {
        var cluster = Cluster.Get(_system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members.Concat(state.Unreachable.Where(u => !state.Members.Contains(u)))
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new ClusterMemberRow(m.Address.ToString(), m.Status.ToString().ToLowerInvariant(), [.. m.Roles.OrderBy(r => r, StringComparer.Ordinal)],
                !unreachable.Contains(m.Address), state.Leader == m.Address, m.Address == cluster.SelfAddress))
            .ToImmutableArray();
        var sharding = ClusterSharding.Get(_system);
        var regions = ImmutableArray.CreateBuilder<ShardRegionRow>();
        var problems = ImmutableArray.CreateBuilder<string>();
        foreach (var type in sharding.ShardTypeNames.OrderBy(t => t, StringComparer.Ordinal))
        {
            try
            {
                var stats = await sharding.ShardRegion(type).Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + TimeSpan.FromSeconds(1));
                foreach (var (address, region) in stats.Regions.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal))
                {
                    regions.Add(new ShardRegionRow(type, address.ToString(), region.Stats.Count, region.Stats.Values.Sum()));
                    if (region.Failed.Count > 0) problems.Add($"{type} on {address}: {region.Failed.Count} shard(s) did not answer");
                }
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or TimeoutException or ArgumentException or InvalidOperationException)
            {
                problems.Add($"the {type} shard region did not answer: {e.Message}");
            }
        }
        return new ClusterSnapshot(cluster.SelfAddress.ToString(), members, regions.ToImmutable(), problems.ToImmutable());
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(ClusterView view)
        {
            Receive<ClusterEvent.IClusterDomainEvent>(_ => view.Changed?.Invoke());
            Receive<ClusterEvent.CurrentClusterState>(_ => view.Changed?.Invoke());
        }

        protected override void PreStart() =>
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));

        protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
    }
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace Sower.Actors.Server.Inspection;

/// <summary>Registry key of the cluster inspection actor.</summary>
public sealed class ClusterInspectionActorKey;

/// <summary>
/// What `sower cluster ...` shows (ARCHITECTURE §2.8, the role Petabridge.Cmd plays), answered from public Akka APIs only:
/// <c>Cluster.State</c> for members, <c>GetClusterShardingStats</c> per shard type for shards and entity counts, and
/// <c>Identify</c> walks over actor selections for the live hierarchy and for locating garden proxies on each node.
/// The protocol is local (asked by HTTP handlers of the same process), so it is nested here and never serialized.
/// Work that waits is run as a task whose result is piped to the asker; the actor itself never blocks.
/// </summary>
public sealed class ClusterInspectionActor : ReceiveActor
{
    public const string Name = "cluster-inspection";
    public const string GardenProxyPrefix = "garden-proxy-";

    public sealed record GetClusterMembers;

    public sealed record MemberReport(string Address, string Status, ImmutableArray<string> Roles, bool Reachable, bool IsLeader, bool IsSelf);

    public sealed record ClusterMembersReport(string SelfAddress, string? Leader, ImmutableArray<MemberReport> Members);

    public sealed record GetShards(TimeSpan Timeout);

    public sealed record ShardReport(string ShardId, int Entities);

    public sealed record NodeShards(string Address, ImmutableArray<ShardReport> Shards)
    {
        public int Entities => Shards.Sum(s => s.Entities);
    }

    public sealed record ShardTypeReport(string TypeName, ImmutableArray<NodeShards> Nodes, ImmutableArray<string> Failed, string? Error);

    public sealed record ShardsReport(ImmutableArray<ShardTypeReport> Types);

    public sealed record GetActorTree(string Path, int Depth, TimeSpan Timeout);

    public sealed record ActorNode(string Path, string Name, ImmutableArray<ActorNode> Children);

    public sealed record ActorTreeReport(ActorNode? Root, bool Truncated, string? Error);

    /// <summary>Where each live garden proxy runs: connection sid → node address.</summary>
    public sealed record GetGardenProxyLocations(TimeSpan Timeout);

    public sealed record GardenProxyLocations(ImmutableDictionary<string, string> NodeByConnection);

    /// <summary>At most this many actors are listed by one walk, so a huge system cannot flood a response.</summary>
    public const int MaxActors = 5000;

    public ClusterInspectionActor()
    {
        var system = Context.System;
        Receive<GetClusterMembers>(_ => Sender.Tell(Members(system)));
        Receive<GetShards>(q => Shards(system, q.Timeout).PipeTo(Sender));
        Receive<GetActorTree>(q => Tree(system, q).PipeTo(Sender));
        Receive<GetGardenProxyLocations>(q => ProxyLocations(system, q.Timeout).PipeTo(Sender));
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new ClusterInspectionActor());

    private static ClusterMembersReport Members(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members.Concat(state.Unreachable.Where(u => !state.Members.Contains(u)))
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new MemberReport(m.Address.ToString(), StatusName(m.Status), [.. m.Roles.OrderBy(r => r, StringComparer.Ordinal)],
                !unreachable.Contains(m.Address), state.Leader == m.Address, m.Address == cluster.SelfAddress))
            .ToImmutableArray();
        return new ClusterMembersReport(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members);
    }

    private static string StatusName(MemberStatus status) => status switch
    {
        MemberStatus.Joining => "joining",
        MemberStatus.WeaklyUp => "weakly_up",
        MemberStatus.Up => "up",
        MemberStatus.Leaving => "leaving",
        MemberStatus.Exiting => "exiting",
        MemberStatus.Down => "down",
        MemberStatus.Removed => "removed",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static async Task<ShardsReport> Shards(ActorSystem system, TimeSpan timeout)
    {
        var sharding = ClusterSharding.Get(system);
        var types = sharding.ShardTypeNames.OrderBy(t => t, StringComparer.Ordinal).ToList();
        var reports = await Task.WhenAll(types.Select(async type =>
        {
            try
            {
                var region = sharding.ShardRegion(type);
                var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + TimeSpan.FromSeconds(1));
                var nodes = stats.Regions
                    .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
                    .Select(r => new NodeShards(r.Key.ToString(),
                        [.. r.Value.Stats.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new ShardReport(s.Key, s.Value))]))
                    .ToImmutableArray();
                var failed = stats.Regions.SelectMany(r => r.Value.Failed).OrderBy(s => s, StringComparer.Ordinal).ToImmutableArray();
                return new ShardTypeReport(type, nodes, failed, null);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or TimeoutException or ArgumentException or InvalidOperationException)
            {
                return new ShardTypeReport(type, [], [], $"no answer from the {type} shard region: {e.Message}");
            }
        }));
        return new ShardsReport([.. reports]);
    }

    private static async Task<ActorTreeReport> Tree(ActorSystem system, GetActorTree query)
    {
        ActorPath rootPath;
        var provider = ((ExtendedActorSystem)system).Provider;
        var text = query.Path.Trim();
        if (ActorPath.TryParse(text, out var absolute))
        {
            rootPath = absolute;
        }
        else if (text.StartsWith('/'))
        {
            if (!ActorPath.TryParse(provider.DefaultAddress + text.TrimEnd('/'), out var local) && text != "/")
            {
                return new ActorTreeReport(null, false, $"invalid actor path \"{query.Path}\"");
            }
            rootPath = text == "/" ? new RootActorPath(provider.DefaultAddress) : local!;
        }
        else
        {
            return new ActorTreeReport(null, false, $"invalid actor path \"{query.Path}\": expected /user, /system or a full akka.tcp:// address");
        }

        var deadline = DateTime.UtcNow + query.Timeout;
        var counted = 1;
        var truncated = false;
        var rootString = rootPath.ToString();
        if (rootPath.Elements.Count > 0)
        {
            // The root itself must exist, or the path is reported as not found.
            var identity = await ActorIdentification.Identify(system, system.ActorSelection(rootString), Remaining(deadline));
            if (identity.Count == 0) return new ActorTreeReport(null, false, $"no actor at {query.Path}");
        }

        async Task<ActorNode> Walk(string path, string name, int depth)
        {
            if (depth <= 0 || DateTime.UtcNow >= deadline) return new ActorNode(path, name, []);
            var children = await ActorIdentification.Identify(system, system.ActorSelection(path.TrimEnd('/') + "/*"), Remaining(deadline));
            var ordered = children.Where(c => !c.Path.Name.StartsWith(ActorIdentification.CollectorPrefix, StringComparison.Ordinal))
                .OrderBy(c => c.Path.Name, StringComparer.Ordinal).ToList();
            var allowed = new List<IActorRef>();
            foreach (var child in ordered)
            {
                if (Interlocked.Increment(ref counted) > MaxActors)
                {
                    truncated = true;
                    break;
                }
                allowed.Add(child);
            }
            // Siblings are walked in parallel: each level costs one quiet period, not one per actor.
            var nodes = await Task.WhenAll(allowed.Select(child => Walk(child.Path.ToStringWithAddress(), child.Path.Name, depth - 1)));
            return new ActorNode(path, name, [.. nodes]);
        }

        var root = await Walk(rootString, rootPath.Elements.Count == 0 ? "/" : rootPath.Name, Math.Clamp(query.Depth, 1, 20));
        return new ActorTreeReport(root, truncated || DateTime.UtcNow >= deadline, null);
    }

    private static async Task<GardenProxyLocations> ProxyLocations(ActorSystem system, TimeSpan timeout)
    {
        var state = Cluster.Get(system).State;
        var nodes = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving)
            .Select(m => m.Address).ToList();
        if (nodes.Count == 0) nodes.Add(Cluster.Get(system).SelfAddress);
        var found = await Task.WhenAll(nodes.Select(async address =>
        {
            var refs = await ActorIdentification.Identify(system, system.ActorSelection($"{address}/user/{GardenProxyPrefix}*"), timeout);
            return refs.Select(r => (Connection: r.Path.Name[GardenProxyPrefix.Length..], Node: address.ToString()));
        }));
        return new GardenProxyLocations(found.SelectMany(f => f).GroupBy(f => f.Connection).ToImmutableDictionary(g => g.Key, g => g.First().Node));
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : left;
    }
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Sower.Messages.Domain;

namespace Sower.Actors.Server.Presence;

/// <summary>Published on the local EventStream by a <see cref="GardenProxyActor"/> when its connection starts and ends.</summary>
public sealed record GardenPresenceChanged(GardenId Garden, ConnectionId Connection, bool Connected) : INoSerializationVerificationNeeded;

/// <summary>Gardens with a live connection on some current cluster member: garden sid → connection sid.</summary>
public sealed record GardenPresenceSnapshot(ImmutableDictionary<string, string> Online) : INoSerializationVerificationNeeded;

/// <summary>
/// Cluster-wide presence (issue 19.2): every node writes the garden connections it holds into one replicated
/// LWW dictionary (garden sid → "connection|node"); every node reads the whole map and keeps only entries of nodes that
/// are members now, so a node that restarts sees gardens connected elsewhere as online, and the gardens of a node that
/// crashed drop out when it leaves the membership. The cluster leader prunes entries of nodes that are gone. Each
/// change (and a periodic refresh, for a projector that restarted) is sent to the read-model projector.
/// </summary>
public sealed class GardenPresenceActor : ReceiveActor, IWithTimers
{
    public const string Name = "garden-presence";
    public static readonly LWWDictionaryKey<string, string> Key = new("sower-garden-presence");
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(2);
    private static readonly IWriteConsistency Write = new WriteAll(TimeSpan.FromSeconds(3));

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly IActorRef _projector;
    private readonly string _self;
    private IImmutableDictionary<string, string> _entries = ImmutableDictionary<string, string>.Empty;

    public GardenPresenceActor(IActorRef projector)
    {
        _projector = projector;
        _self = NodeId(_cluster.SelfUniqueAddress);
        Receive<GardenPresenceChanged>(c =>
        {
            var garden = c.Garden.Value;
            var value = c.Connection.Value + "|" + _self;
            // Written to every reachable node at once (gossip would take seconds); applied here before the replica answers.
            _replicator.Tell(Dsl.Update(Key, LWWDictionary<string, string>.Empty, Write, d => c.Connected
                ? d.SetItem(_cluster, garden, value)
                : d.TryGetValue(garden, out var current) && current == value ? d.Remove(_cluster, garden) : d));
            if (c.Connected) _entries = _entries.SetItem(garden, value);
            else if (_entries.TryGetValue(garden, out var mine) && mine == value) _entries = _entries.Remove(garden);
            Publish();
        });
        Receive<Changed>(c =>
        {
            if (!c.Key.Equals(Key)) return;
            _entries = c.Get(Key).Entries;
            Publish();
        });
        Receive<ClusterEvent.IMemberEvent>(_ => Publish());
        Receive<Tick>(_ =>
        {
            Publish();
            Prune();
        });
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => Publish());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef projector) => Akka.Actor.Props.Create(() => new GardenPresenceActor(projector));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(GardenPresenceChanged));
        _replicator.Tell(Dsl.Subscribe(Key, Self));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer("tick", Tick.Instance, Refresh);
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }

    private static string NodeId(UniqueAddress node) => $"{node.Address}#{node.Uid}";

    private ImmutableHashSet<string> Members() =>
        _cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining or MemberStatus.Leaving or MemberStatus.Exiting)
            .Select(m => NodeId(m.UniqueAddress)).ToImmutableHashSet(StringComparer.Ordinal);

    private void Publish()
    {
        var members = Members();
        var online = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (garden, value) in _entries)
        {
            var split = value.IndexOf('|');
            if (split > 0 && members.Contains(value[(split + 1)..])) online[garden] = value[..split];
        }
        _projector.Tell(new GardenPresenceSnapshot(online.ToImmutable()));
    }

    /// <summary>The leader removes the entries of nodes that are no longer members (a crash never removed them).</summary>
    private void Prune()
    {
        if (_cluster.State.Leader != _cluster.SelfAddress) return;
        var members = Members();
        var gone = _entries.Where(e => e.Value.IndexOf('|') is var s && s > 0 && !members.Contains(e.Value[(s + 1)..])).Select(e => e.Key).ToList();
        if (gone.Count == 0) return;
        _replicator.Tell(Dsl.Update(Key, LWWDictionary<string, string>.Empty, WriteLocal.Instance, d =>
        {
            foreach (var garden in gone)
            {
                if (d.TryGetValue(garden, out var v) && v.IndexOf('|') is var s && s > 0 && !members.Contains(v[(s + 1)..])) d = d.Remove(_cluster, garden);
            }
            return d;
        }));
    }

    private sealed class Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }
}

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
/// Cluster-wide presence (issue 19.2): every node writes the garden connections it holds into replicated LWW
/// dictionaries (garden sid → "connection|node"); every node reads them all and keeps only entries of nodes that are
/// members now, so a node that restarts sees gardens connected elsewhere as online, and the gardens of a node that
/// crashed drop out when it leaves the membership. The cluster leader prunes entries of nodes that are gone. Changes
/// are sent to the read-model projector at once after a quiet spell, during a burst at most every
/// <see cref="PublishDelay"/> (and every <see cref="Refresh"/>, for a projector that restarted).
/// <para>The map is split into <see cref="GardenPresenceBuckets.Count"/> keys by garden (issue 17): the replicator merges
/// and, for a subscribed key, digests (serializes) the whole value on every update, and the online view was rebuilt on
/// every change, so one key cost O(N) per connection — most of a 10,000-garden server's CPU while the gardens connected
/// and after.</para>
/// </summary>
public sealed class GardenPresenceActor : ReceiveActor, IWithTimers
{
    public const string Name = "garden-presence";
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PublishDelay = TimeSpan.FromMilliseconds(200);
    private static readonly IWriteConsistency Write = new WriteAll(TimeSpan.FromSeconds(3));

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly IActorRef _projector;
    private readonly string _self;
    private readonly IImmutableDictionary<string, string>[] _buckets = Enumerable.Range(0, GardenPresenceBuckets.Count)
        .Select(_ => (IImmutableDictionary<string, string>)ImmutableDictionary<string, string>.Empty).ToArray();

    public GardenPresenceActor(IActorRef projector)
    {
        _projector = projector;
        _self = NodeId(_cluster.SelfUniqueAddress);
        Receive<GardenPresenceChanged>(c =>
        {
            var garden = c.Garden.Value;
            var value = c.Connection.Value + "|" + _self;
            var bucket = GardenPresenceBuckets.Of(garden);
            // Written to every reachable node at once (gossip would take seconds); applied here before the replica answers.
            _replicator.Tell(Dsl.Update(GardenPresenceBuckets.Keys[bucket], LWWDictionary<string, string>.Empty, Write, d => c.Connected
                ? d.SetItem(_cluster, garden, value)
                : d.TryGetValue(garden, out var current) && current == value ? d.Remove(_cluster, garden) : d));
            var entries = _buckets[bucket];
            if (c.Connected) _buckets[bucket] = entries.SetItem(garden, value);
            else if (entries.TryGetValue(garden, out var mine) && mine == value) _buckets[bucket] = entries.Remove(garden);
            PublishSoon();
        });
        Receive<Changed>(c =>
        {
            if (GardenPresenceBuckets.IndexOf(c.Key) is not { } bucket) return;
            _buckets[bucket] = c.Get(GardenPresenceBuckets.Keys[bucket]).Entries;
            PublishSoon();
        });
        Receive<ClusterEvent.IMemberEvent>(_ => Publish());
        Receive<PublishNow>(_ => Publish());
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
        foreach (var key in GardenPresenceBuckets.Keys) _replicator.Tell(Dsl.Subscribe(key, Self));
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

    /// <summary>A change after a quiet spell is published at once (a garden that connects is online without delay); the
    /// changes of a burst (a fleet connecting) make one snapshot per <see cref="PublishDelay"/>, not one each.</summary>
    private void PublishSoon()
    {
        if (Timers.IsTimerActive("publish")) return;
        var since = TimeSpan.FromMilliseconds(Environment.TickCount64 - _publishedAt);
        if (since >= PublishDelay) Publish();
        else Timers.StartSingleTimer("publish", PublishNow.Instance, PublishDelay - since);
    }

    private long _publishedAt;

    private void Publish()
    {
        Timers.Cancel("publish");
        _publishedAt = Environment.TickCount64;
        var members = Members();
        var online = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var bucket in _buckets)
        {
            foreach (var (garden, value) in bucket)
            {
                var split = value.IndexOf('|');
                if (split > 0 && members.Contains(value[(split + 1)..])) online[garden] = value[..split];
            }
        }
        _projector.Tell(new GardenPresenceSnapshot(online.ToImmutable()));
    }

    /// <summary>The leader removes the entries of nodes that are no longer members (a crash never removed them).</summary>
    private void Prune()
    {
        if (_cluster.State.Leader != _cluster.SelfAddress) return;
        var members = Members();
        for (var bucket = 0; bucket < _buckets.Length; bucket++)
        {
            var gone = _buckets[bucket].Where(e => e.Value.IndexOf('|') is var s && s > 0 && !members.Contains(e.Value[(s + 1)..])).Select(e => e.Key).ToList();
            if (gone.Count == 0) continue;
            _replicator.Tell(Dsl.Update(GardenPresenceBuckets.Keys[bucket], LWWDictionary<string, string>.Empty, WriteLocal.Instance, d =>
            {
                foreach (var garden in gone)
                {
                    if (d.TryGetValue(garden, out var v) && v.IndexOf('|') is var s && s > 0 && !members.Contains(v[(s + 1)..])) d = d.Remove(_cluster, garden);
                }
                return d;
            }));
        }
    }

    private sealed class Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }

    private sealed class PublishNow : INoSerializationVerificationNeeded
    {
        public static readonly PublishNow Instance = new();
    }
}

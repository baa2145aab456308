namespace Sower.Actors.Hosting;

/// <summary>Akka remoting and cluster settings (REFERENCE §6.1 <c>cluster.*</c>). A single node needs none of them.</summary>
public sealed record ClusterSettings
{
    public const string ActorSystemName = "sower";

    /// <summary>Address remoting binds to; loopback by default so a single node is not reachable from outside.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>Remoting port; 0 picks a free port (fine for a single node; give fixed ports to nodes others list as seeds).</summary>
    public int Port { get; init; }

    /// <summary>Address other nodes use to reach this one, when it differs from <see cref="Hostname"/> (e.g. binding 0.0.0.0).</summary>
    public string? PublicHostname { get; init; }

    /// <summary><c>akka.tcp://sower@host:port</c> addresses. Empty: this node forms a cluster by joining itself.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>How a partition or a dead node is resolved (<c>cluster.split_brain_resolver</c>); null picks the default
    /// for the database: <see cref="SplitBrainStrategy.LeaseMajority"/> on PostgreSQL, <see cref="SplitBrainStrategy.KeepMajority"/> on SQLite.</summary>
    public SplitBrainStrategy? SplitBrainResolver { get; init; }

    /// <summary>Heartbeats that may be missed before a node is unreachable (<c>cluster.heartbeat_pause_seconds</c>). The
    /// framework's 3 s downs healthy nodes whose threads are starved by CPU load; 10 s rides out GC and load spikes.</summary>
    public int HeartbeatPauseSeconds { get; init; } = 10;

    /// <summary>How long reachability must be stable before the resolver decides (<c>cluster.stable_after_seconds</c>).</summary>
    public int StableAfterSeconds { get; init; } = 10;

    /// <summary>How long a node whose database shows live members keeps trying to join them before it refuses to start
    /// (<c>cluster.join_timeout_seconds</c>).</summary>
    public int JoinTimeoutSeconds { get; init; } = 60;

    /// <summary>The shared database, when it is PostgreSQL: nodes then find each other through it (never forming a
    /// second cluster on a journal another cluster writes) and the lease of <see cref="SplitBrainStrategy.LeaseMajority"/>
    /// lives in it. Null (SQLite, in-process tests): seed nodes or a self-join.</summary>
    public PersistenceSettings? Database { get; init; }

    /// <summary>The strategy in force: the configured one or the database's default.</summary>
    public SplitBrainStrategy EffectiveSplitBrainResolver =>
        SplitBrainResolver ?? (Database?.Provider == DatabaseProvider.PostgreSql ? SplitBrainStrategy.LeaseMajority : SplitBrainStrategy.KeepMajority);
}

/// <summary>Akka.Cluster split brain resolver strategies Sower supports (see README "High availability").</summary>
public enum SplitBrainStrategy
{
    /// <summary>The side that takes a lease row in the shared PostgreSQL database survives (the majority tries first).
    /// A two-node cluster keeps serving on the survivor whichever node dies.</summary>
    LeaseMajority,
    /// <summary>The larger side survives; on a tie the side with the lowest address. Needs three or more nodes: in a
    /// two-node cluster the survivor downs itself when the lowest-addressed node dies.</summary>
    KeepMajority,
    /// <summary>The side with the oldest node survives; with down-if-alone, an oldest node cut off from two or more
    /// others downs itself. In a two-node cluster the survivor downs itself when the oldest dies.</summary>
    KeepOldest,
}

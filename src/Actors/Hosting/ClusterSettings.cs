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
}

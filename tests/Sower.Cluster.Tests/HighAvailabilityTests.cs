using Sower.Cluster.Tests.Support;
using Sower.Testing;

namespace Sower.Cluster.Tests;

/// <summary>
/// Cluster formation on a shared journal (README "High availability"): a node never forms a second cluster on a
/// database a live cluster writes. The failover scenarios (a node killed, restarted, a rolling restart) run on the same
/// shared cluster in <see cref="FailoverTests"/>.
/// </summary>
[Collection(ThreeNodeCluster.Collection)]
public sealed class HighAvailabilityTests(ThreeNodeCluster cluster) : IAsyncLifetime
{
    private readonly List<ServerNode> _nodes = [];
    private TestDatabase? _otherDatabase;

    public Task InitializeAsync() => Task.CompletedTask;

    private string Logs() => cluster.Logs() + "\n" + string.Join("\n", _nodes.Select(n => n.Process.Tail(30)));

    [Fact]
    public async Task A_node_never_forms_a_second_cluster_on_a_database_a_live_cluster_writes()
    {
        // The two halves are independent (the refused node is on a database of its own) and each mostly waits: the
        // refused node's join timeout runs while the self-seeded node joins and leaves the live cluster.
        // A cluster this node cannot reach keeps heartbeating in its database (a member row kept fresh whose address
        // answers nothing): the node must refuse to start, not form a cluster of its own.
        _otherDatabase = await TestDatabases.CreatePostgresAsync();
        var database = new Sower.Actors.Hosting.Membership.ClusterDatabase(_otherDatabase.ConnectionString);
        var ghost = $"akka.tcp://sower@127.0.0.1:{ServerNode.FreePort()}";
        using var stopGhost = new CancellationTokenSource();
        await database.EnsureSchemaAsync();
        await database.HeartbeatAsync(ghost);
        var heartbeat = Task.Run(async () =>
        {
            while (!stopGhost.IsCancellationRequested)
            {
                await database.HeartbeatAsync(ghost);
                try { await Task.Delay(2000, stopGhost.Token); }
                catch (OperationCanceledException) { return; }
            }
        });
        var refused = new ServerNode("node-refused", cluster.RunDir, _otherDatabase.ConnectionString,
            (_, c) => ((Dictionary<string, object>)c["cluster"])["join_timeout_seconds"] = 10);
        _nodes.Add(refused);
        refused.Start();
        // The configuration that formed a second cluster in issue 19: the node lists only itself as a seed.
        var selfSeeded = new ServerNode("node-self-seeded", cluster.RunDir, cluster.ConnectionString,
            (self, c) => ((Dictionary<string, object>)c["cluster"])["seed_nodes"] = new[] { self.Address });
        _nodes.Add(selfSeeded);
        selfSeeded.Start();
        await selfSeeded.WaitReadyAsync();
        await cluster.WaitMembersAsync(cluster.Nodes[0], [.. cluster.Nodes, selfSeeded], "the self-seeded node to join the live cluster");
        Assert.Equal(0, ThreeNodeCluster.CountFormations(selfSeeded.Process.Log()));
        selfSeeded.Stop();
        await cluster.WaitMembersAsync(cluster.Nodes[0], cluster.Nodes, "the self-seeded node to leave");
        cluster.AssertOneClusterFormed([selfSeeded]);

        await Wait.Until(() => !refused.Process.Running, TimeSpan.FromSeconds(90), "the node to refuse to start", Logs);
        stopGhost.Cancel();
        await heartbeat;
        var log = refused.Process.Log();
        Assert.Contains($"refusing to start: the database shows live cluster members ({ghost})", log);
        Assert.Equal(0, ThreeNodeCluster.CountFormations(log));
        Assert.Equal(Sower.Actors.Hosting.Membership.ClusterFormationGuard.RefusedExitCode, refused.Process.ExitCode);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) node.Dispose();
        if (_otherDatabase is not null) await _otherDatabase.DisposeAsync();
    }
}

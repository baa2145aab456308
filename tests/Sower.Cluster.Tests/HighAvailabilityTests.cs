using System.Net.Http.Json;
using System.Text.Json;
using Sower.Cluster.Tests.Support;
using Sower.EndToEnd.Tests.Support;
using Sower.Testing;
using Xunit.Abstractions;

namespace Sower.Cluster.Tests;

/// <summary>
/// Three real <c>sower-server</c> processes on one real PostgreSQL database behind a real nginx (README "High
/// availability"): a node killed with SIGKILL, the same node restarted, and a rolling restart of all three, while a client
/// calls the API and a garden stays connected through nginx.
/// </summary>
public sealed class HighAvailabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _runDir = Directory.CreateTempSubdirectory("sower-ha-").FullName;
    private readonly List<ServerNode> _nodes = [];
    private TestDatabase? _database;
    private Nginx? _nginx;

    public async Task InitializeAsync() => _database = await TestDatabases.CreatePostgresAsync();

    private ServerNode Node(string name, Action<ServerNode, Dictionary<string, object>>? configure = null)
    {
        var node = new ServerNode(name, _runDir, _database!.ConnectionString, configure);
        _nodes.Add(node);
        return node;
    }

    private string Logs() => string.Join("\n", _nodes.Select(n => n.Process.Tail(30)));

    private async Task<(ServerNode[] Nodes, HttpClient Admin)> StartThreeBehindNginxAsync()
    {
        var nodes = new[] { Node("node-a"), Node("node-b"), Node("node-c") };
        nodes[0].Start();
        await nodes[0].WaitReadyAsync();
        nodes[1].Start();
        nodes[2].Start();
        await Task.WhenAll(nodes[1].WaitReadyAsync(), nodes[2].WaitReadyAsync());
        _nginx = new Nginx(Path.Combine(_runDir, "nginx"), ServerNode.FreePort(), nodes.Select(n => n.HttpPort));
        await _nginx.StartAsync();
        var token = (await File.ReadAllTextAsync(Path.Combine(nodes[0].DataDir, "admin-token"))).Trim();
        var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return (nodes, admin);
    }

    private static async Task<string[]> UpMembersAsync(HttpClient admin, string url)
    {
        var body = await admin.GetFromJsonAsync<JsonElement>(url + "/api/v1/cluster/members");
        return [.. body.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("status").GetString() == "up" && m.GetProperty("reachable").GetBoolean())
            .Select(m => m.GetProperty("address").GetString()!).Order()];
    }

    private async Task WaitMembersAsync(HttpClient admin, ServerNode via, IEnumerable<ServerNode> expected, string what)
    {
        var want = expected.Select(n => n.Address).Order().ToArray();
        await Wait.Until(async () => (await UpMembersAsync(admin, via.Url)).SequenceEqual(want), TimeSpan.FromSeconds(90), what, Logs);
    }

    [Fact]
    public async Task A_killed_node_leaves_the_api_and_gardens_served_through_nginx_and_rejoins_the_same_cluster_on_restart()
    {
        var (nodes, admin) = await StartThreeBehindNginxAsync();
        var url = _nginx!.Url;
        var token = admin.DefaultRequestHeaders.Authorization!.Parameter!;
        await using var garden = await GatewayGarden.EnrollAsync(url, admin, "ha-garden");
        await Wait.Until(() => garden.Joined, TimeSpan.FromSeconds(30), "the garden to join through nginx", Logs);

        // The oldest node holds the singletons (the token store among them): kill it while clients keep calling.
        await using (var probe = new ApiProbe(url, token, "/api/v1/auth/verify", "/api/v1/gardens"))
        {
            var connectsBefore = garden.Connects;
            nodes[0].Kill9();
            var killedAt = DateTime.UtcNow;
            await WaitMembersAsync(admin, nodes[1], nodes[1..], "the survivors to remove the killed node");
            output.WriteLine($"killed node removed after {(DateTime.UtcNow - killedAt).TotalSeconds:0.0} s");
            await Wait.Until(() => garden.Joined, TimeSpan.FromSeconds(30), "the garden to be connected after the kill", Logs);
            output.WriteLine($"garden connects: before {connectsBefore}, now {garden.Connects}; API requests {probe.Requests}");
            await Task.Delay(1000);
            Assert.True(probe.Failures.Count == 0, "the API failed through nginx while a node died:\n" + string.Join("\n", probe.Failures));
        }

        // The same node (same address) comes back: it joins the cluster the database shows, never forms a second one.
        nodes[0].Start();
        await nodes[0].WaitReadyAsync();
        await WaitMembersAsync(admin, nodes[2], nodes, "the restarted node to be a member of the same cluster");
        Assert.Contains("The database shows live cluster members", nodes[0].Process.Log()[nodes[0].Process.Log().LastIndexOf("starting node-a", StringComparison.Ordinal)..]);

        // Rolling restart, one node at a time, while clients keep calling and the garden stays connected.
        await using (var probe = new ApiProbe(url, token, "/api/v1/auth/verify", "/api/v1/gardens"))
        {
            foreach (var node in nodes)
            {
                node.Stop();
                await WaitMembersAsync(admin, nodes.First(n => n != node), nodes.Where(n => n != node), $"the others to see {node.Name} leave");
                node.Start();
                await node.WaitReadyAsync();
                await WaitMembersAsync(admin, node, nodes, $"{node.Name} to rejoin");
            }
            await Wait.Until(() => garden.Joined, TimeSpan.FromSeconds(30), "the garden to be connected after the rolling restart", Logs);
            output.WriteLine($"rolling restart: API requests {probe.Requests}, garden connects {garden.Connects}");
            Assert.True(probe.Failures.Count == 0, "the API failed through nginx during the rolling restart:\n" + string.Join("\n", probe.Failures));
        }

        foreach (var node in nodes)
        {
            var log = node.Process.Log();
            Assert.DoesNotContain("journal_uq", log);
            Assert.Equal(node == nodes[0] ? 1 : 0, CountFormations(log));
        }
    }

    private static int CountFormations(string log)
    {
        var n = 0;
        for (var i = log.IndexOf("forms a new cluster", StringComparison.Ordinal); i >= 0; i = log.IndexOf("forms a new cluster", i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    [Fact]
    public async Task A_node_never_forms_a_second_cluster_on_a_database_a_live_cluster_writes()
    {
        var first = Node("node-a");
        first.Start();
        await first.WaitReadyAsync();
        var token = (await File.ReadAllTextAsync(Path.Combine(first.DataDir, "admin-token"))).Trim();
        using var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", token);

        // The configuration that formed a second cluster in issue 19: the node lists only itself as a seed.
        var selfSeeded = Node("node-self-seeded", (self, c) => ((Dictionary<string, object>)c["cluster"])["seed_nodes"] = new[] { self.Address });
        selfSeeded.Start();
        await selfSeeded.WaitReadyAsync();
        await WaitMembersAsync(admin, first, [first, selfSeeded], "the self-seeded node to join the live cluster");
        Assert.Equal(0, CountFormations(selfSeeded.Process.Log()));

        // A cluster this node cannot reach keeps heartbeating in the database (a member row kept fresh whose address
        // answers nothing): the node must refuse to start, not form a cluster of its own.
        first.Stop();
        selfSeeded.Stop();
        var database = new Sower.Actors.Hosting.Membership.ClusterDatabase(_database!.ConnectionString);
        var ghost = $"akka.tcp://sower@127.0.0.1:{ServerNode.FreePort()}";
        using var stopGhost = new CancellationTokenSource();
        var heartbeat = Task.Run(async () =>
        {
            while (!stopGhost.IsCancellationRequested)
            {
                await database.HeartbeatAsync(ghost);
                try { await Task.Delay(2000, stopGhost.Token); }
                catch (OperationCanceledException) { return; }
            }
        });
        var refused = Node("node-refused", (_, c) => ((Dictionary<string, object>)c["cluster"])["join_timeout_seconds"] = 10);
        refused.Start();
        await Wait.Until(() => !refused.Process.Running, TimeSpan.FromSeconds(90), "the node to refuse to start", Logs);
        stopGhost.Cancel();
        await heartbeat;
        var log = refused.Process.Log();
        Assert.Contains($"refusing to start: the database shows live cluster members ({ghost})", log);
        Assert.Equal(0, CountFormations(log));
        Assert.Equal(Sower.Actors.Hosting.Membership.ClusterFormationGuard.RefusedExitCode, refused.Process.ExitCode);
    }

    public async Task DisposeAsync()
    {
        _nginx?.Dispose();
        foreach (var node in _nodes) node.Dispose();
        if (_database is not null) await _database.DisposeAsync();
    }
}

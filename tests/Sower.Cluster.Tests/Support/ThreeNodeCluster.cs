using System.Net.Http.Json;
using System.Text.Json;
using Sower.Testing;

namespace Sower.Cluster.Tests.Support;

/// <summary>
/// Three real <c>sower-server</c> processes on one PostgreSQL database behind nginx, started once and shared by the tests
/// of a class (start-ups are what these tests pay for). A test that kills or stops a node brings it back and waits for
/// the full membership before it ends (<see cref="RestoreAsync"/>), so the next test finds three live nodes again.
/// </summary>
public sealed class ThreeNodeCluster : IAsyncLifetime
{
    public const string Collection = "three-node cluster";

    private readonly string _runDir = Directory.CreateTempSubdirectory("sower-ha-shared-").FullName;
    private TestDatabase? _database;

    public ServerNode[] Nodes { get; private set; } = [];
    public Nginx Nginx { get; private set; } = null!;
    public HttpClient Admin { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };
    public string Token { get; private set; } = "";
    public string Url => Nginx.Url;
    public string RunDir => _runDir;
    public string ConnectionString => _database!.ConnectionString;

    /// <summary>The running node that has been up longest: it holds the cluster singletons.</summary>
    public ServerNode Oldest => Nodes.Where(n => n.Process.Running).MinBy(n => n.StartedAt)!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabases.CreatePostgresAsync();
        Nodes = [.. new[] { "node-a", "node-b", "node-c" }.Select(n => new ServerNode(n, _runDir, _database.ConnectionString))];
        Nodes[0].Start();
        await Nodes[0].WaitReadyAsync();
        Nodes[1].Start();
        Nodes[2].Start();
        await Task.WhenAll(Nodes[1].WaitReadyAsync(), Nodes[2].WaitReadyAsync());
        Nginx = new Nginx(Path.Combine(_runDir, "nginx"), ServerNode.FreePort(), Nodes.Select(n => n.HttpPort));
        await Nginx.StartAsync();
        Token = (await File.ReadAllTextAsync(Path.Combine(Nodes[0].DataDir, "admin-token"))).Trim();
        Admin.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        await WaitMembersAsync(Nodes[0], Nodes, "three members");
    }

    public string Logs(int lines = 30) => string.Join("\n", Nodes.Select(n => n.Process.Tail(lines)));

    public async Task<string[]> UpMembersAsync(ServerNode via)
    {
        var body = await Admin.GetFromJsonAsync<JsonElement>(via.Url + "/api/v1/cluster/members");
        return [.. body.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("status").GetString() == "up" && m.GetProperty("reachable").GetBoolean())
            .Select(m => m.GetProperty("address").GetString()!).Order()];
    }

    /// <summary>Whether exactly <paramref name="expected"/> are up and reachable as <paramref name="via"/> sees them.</summary>
    public async Task<bool> MembersAreAsync(ServerNode via, IEnumerable<ServerNode> expected) =>
        (await UpMembersAsync(via)).SequenceEqual(expected.Select(n => n.Address).Order());

    public Task WaitMembersAsync(ServerNode via, IEnumerable<ServerNode> expected, string what, TimeSpan? limit = null) =>
        Wait.Until(() => MembersAreAsync(via, expected), limit ?? TimeSpan.FromSeconds(90), what, () => Logs());

    /// <summary>Starts every node that is not running and waits until each one is ready and all three are members.</summary>
    public async Task RestoreAsync()
    {
        var down = Nodes.Where(n => !n.Process.Running).ToList();
        foreach (var node in down)
        {
            node.Start();
            await node.WaitReadyAsync();
        }
        foreach (var node in Nodes) await WaitMembersAsync(node, Nodes, $"all three members as {node.Name} sees them");
    }

    /// <summary>Submits a seed through nginx (retrying a refused or failed call the way a CI job would) and returns its sid.</summary>
    public async Task<string> SubmitSeedAsync(string name)
    {
        var artifact = "/nix/store/" + RandomStorePart() + "-" + name;
        string? sid = null;
        await Wait.Until(async () =>
        {
            using var response = await Admin.PostAsJsonAsync(Url + "/api/v1/seeds", new
            {
                name,
                seed_type = "nixos",
                artifact,
                tags = new[] { new { key = "git_branch", value = "main" } },
            });
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"seed submit answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            sid = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sid").GetString();
            return true;
        }, TimeSpan.FromSeconds(60), $"seed {name} to be accepted", () => Logs());
        return sid!;
    }

    private static string RandomStorePart()
    {
        const string alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
        return new string([.. Enumerable.Range(0, 32).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)])]);
    }

    /// <summary>Every deployment of one garden as node <paramref name="via"/>'s read model lists them.</summary>
    public async Task<JsonElement[]> DeploymentsAsync(ServerNode via, string garden)
    {
        var body = await Admin.GetFromJsonAsync<JsonElement>($"{via.Url}/api/v1/deployments?garden={garden}&per_page=200");
        return [.. body.GetProperty("items").EnumerateArray().Where(d => d.GetProperty("garden_sid").GetString() == garden)];
    }

    /// <summary>One cluster for the fixture's whole life: exactly one "forms a new cluster" in all logs (node-a's first
    /// start), every restart joined the live members, and no node ever hit a duplicate journal key.</summary>
    public void AssertOneClusterFormed(IEnumerable<ServerNode>? others = null)
    {
        var logs = Nodes.Concat(others ?? []).Select(n => n.Process.Log()).ToList();
        Assert.All(logs, log => Assert.DoesNotContain("journal_uq", log));
        Assert.Equal(1, logs.Sum(log => CountFormations(log)));
    }

    public static int CountFormations(string log)
    {
        var n = 0;
        for (var i = log.IndexOf("forms a new cluster", StringComparison.Ordinal); i >= 0; i = log.IndexOf("forms a new cluster", i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    public async Task DisposeAsync()
    {
        Nginx?.Dispose();
        foreach (var node in Nodes) node.Dispose();
        Admin.Dispose();
        if (_database is not null) await _database.DisposeAsync();
    }
}

[CollectionDefinition(ThreeNodeCluster.Collection)]
public sealed class ThreeNodeClusterCollection : ICollectionFixture<ThreeNodeCluster>;

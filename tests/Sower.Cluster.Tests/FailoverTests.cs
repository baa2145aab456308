using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sower.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Sower.Cluster.Tests;

/// <summary>
/// Deployments, presence and read models across node failures (issue 19.2), on one shared three-node cluster behind
/// nginx (<see cref="ThreeNodeCluster"/>): gateway-speaking gardens that deploy, a node killed with SIGKILL while
/// deployments are in flight, a rolling restart during a rollout to 50 gardens. Every test leaves three live members.
/// </summary>
[Collection(ThreeNodeCluster.Collection)]
public sealed class FailoverTests(ThreeNodeCluster cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(120);

    private string Logs() => cluster.Logs();

    private static async Task DisposeAll(IEnumerable<FleetGarden> gardens) => await Task.WhenAll(gardens.Select(g => g.DisposeAsync().AsTask()));

    /// <summary>garden sid → (connection sid, node address) as <paramref name="via"/>'s <c>GET /api/v1/cluster/gardens</c> lists them.</summary>
    private async Task<Dictionary<string, (string Connection, string? Node)>> SessionsAsync(ServerNode via)
    {
        var body = await cluster.Admin.GetFromJsonAsync<JsonElement>(via.Url + "/api/v1/cluster/gardens");
        return body.GetProperty("gardens").EnumerateArray().ToDictionary(
            g => g.GetProperty("garden_sid").GetString()!,
            g => (g.GetProperty("connection_sid").GetString()!, g.GetProperty("node").GetString()));
    }

    /// <summary>What the gardens that have not completed every deployment saw, for a failure message.</summary>
    private static string Behind(IEnumerable<FleetGarden> gardens, int deployments) => string.Join("\n", gardens
        .Where(g => g.Completed.Count < deployments)
        .Select(g => $"{g.Name} {g.Sid}: joined {g.Joined} on {g.ConnectionSid}, connects {g.Connects}, pushed [{string.Join(", ", g.Pushes.Select(p => $"{p.Key}×{p.Value}"))}], "
            + $"acknowledged {g.Acknowledged.Count}, completed {g.Completed.Count}, retried {g.Retried}, errors [{string.Join("; ", g.Errors)}]")) + "\n";

    private async Task<bool> OnlineAsync(ServerNode via, FleetGarden garden)
    {
        var body = await cluster.Admin.GetFromJsonAsync<JsonElement>($"{via.Url}/api/v1/gardens/{garden.Sid}");
        return body.GetProperty("online").GetBoolean();
    }

    /// <summary>Every garden has exactly one deployment per seed, on <paramref name="via"/>'s read model and in what the
    /// garden was pushed, each completed with the result the garden reported.</summary>
    private async Task AssertExactlyOnceAsync(ServerNode via, IReadOnlyList<FleetGarden> gardens, IReadOnlyList<string> seeds)
    {
        foreach (var garden in gardens)
        {
            Assert.True(garden.Errors.IsEmpty, $"{garden.Name} was refused: {string.Join("; ", garden.Errors)}");
            Assert.Equal(seeds.Order(), garden.DeploymentSeeds.Values.Order());
            Assert.All(garden.DeploymentSeeds.Keys, d => Assert.True(garden.Completed.ContainsKey(d), $"{garden.Name}: {d} not completed"));
        }
        // The read model follows the journal asynchronously: wait until it shows every completion, then check for extras.
        await Wait.Until(async () =>
        {
            foreach (var garden in gardens)
            {
                var listed = await cluster.DeploymentsAsync(via, garden.Sid);
                if (listed.Length < seeds.Count || listed.Any(d => d.GetProperty("state").GetString() != "completed")) return false;
            }
            return true;
        }, TimeSpan.FromSeconds(60), $"{via.Name} to list every deployment completed", Logs);
        foreach (var garden in gardens)
        {
            var listed = await cluster.DeploymentsAsync(via, garden.Sid);
            Assert.True(listed.Length == seeds.Count,
                $"{garden.Name} has {listed.Length} deployments for {seeds.Count} seeds on {via.Name}: {string.Join(", ", listed.Select(d => d.GetProperty("sid").GetString()))}");
            Assert.Equal(garden.DeploymentSeeds.Keys.Order(), listed.Select(d => d.GetProperty("sid").GetString()!).Order());
            Assert.All(listed, d =>
            {
                Assert.Equal("completed", d.GetProperty("state").GetString());
                Assert.Equal("success", d.GetProperty("result").GetString());
            });
        }
    }

    [Fact]
    public async Task A_deployment_in_flight_when_its_node_is_killed_completes_exactly_once_and_its_gardens_are_online_again_elsewhere()
    {
        var nodes = cluster.Nodes;
        const string seedName = "inflight";
        // The oldest node holds the singletons (the token store among them) and, here, garden connections too: kill it.
        var victim = cluster.Oldest;
        var survivors = nodes.Where(n => n != victim).ToArray();
        var gardens = new List<FleetGarden>();
        try
        {
            Dictionary<string, (string Connection, string? Node)> sessions = [];
            for (var i = 0; i < 12 && (gardens.Count < 6 || !gardens.Any(g => sessions[g.Sid].Node == victim.Address)); i++)
            {
                var garden = await FleetGarden.EnrollAsync(cluster.Url, cluster.Admin, $"inflight-{i}", seedName, holdResults: true);
                gardens.Add(garden);
                await Wait.Until(() => garden.Joined, TimeSpan.FromSeconds(60), $"{garden.Name} to join through nginx", Logs);
                // The cluster-wide session list (any node answers for all of them) tells which node holds each garden.
                sessions = await Wait.For(() => SessionsAsync(survivors[0]),
                    s => gardens.All(g => s.TryGetValue(g.Sid, out var at) && at.Connection == g.ConnectionSid && at.Node is not null),
                    TimeSpan.FromSeconds(30), $"every garden listed with its node by {survivors[0].Name}", Logs);
            }
            var onVictim = gardens.Where(g => sessions[g.Sid].Node == victim.Address).ToList();
            output.WriteLine($"gardens per node: {string.Join(", ", nodes.Select(n => $"{n.Name} {gardens.Count(g => sessions[g.Sid].Node == n.Address)}"))}; killing {victim.Name} (oldest)");
            Assert.NotEmpty(onVictim);

            var seed = await cluster.SubmitSeedAsync(seedName);
            await Wait.Until(() => gardens.All(g => g.Acknowledged.Count == 1), TimeSpan.FromSeconds(60), "every garden to acknowledge its deployment", Logs);

            // One garden of the victim's goes down with it (its host is gone too): the survivors must not show it online forever.
            var away = onVictim[0];
            away.Reconnect = false;
            Assert.True(await OnlineAsync(survivors[1], away), "the garden is online on another node before the kill");

            await using (var probe = new ApiProbe(cluster.Url, cluster.Token, "/api/v1/auth/verify", "/api/v1/gardens"))
            {
                victim.Kill9();
                var killedAt = Stopwatch.StartNew();
                foreach (var garden in gardens) garden.Release();

                await Wait.Until(() => gardens.Where(g => g != away).All(g => g.Completed.Count == 1), Settle, "the other gardens to complete through the survivors", Logs);
                output.WriteLine($"other gardens completed {killedAt.Elapsed.TotalSeconds:0.0} s after the kill; retried calls {gardens.Sum(g => g.Retried)}");
                await Wait.Until(async () => !await OnlineAsync(survivors[0], away), Settle, "the survivors to show the garden of the killed node offline", Logs);
                output.WriteLine($"garden of the killed node offline on {survivors[0].Name} {killedAt.Elapsed.TotalSeconds:0.0} s after the kill");

                // Its host comes back: it reconnects through nginx to a survivor, is online there, and finishes its deployment.
                away.Reconnect = true;
                await Wait.Until(() => away.Completed.Count == 1, Settle, "the returning garden to complete its deployment", Logs);
                await Wait.Until(async () => await OnlineAsync(survivors[1], away), TimeSpan.FromSeconds(30), "the returning garden online again", Logs);
                output.WriteLine($"API requests through nginx while the node died {probe.Requests}, failed {probe.Failures.Count}");
                Assert.True(probe.Failures.Count == 0, "the API failed through nginx while a node died:\n" + string.Join("\n", probe.Failures));
            }
            var after = await Wait.For(() => SessionsAsync(survivors[0]),
                s => gardens.All(g => s.TryGetValue(g.Sid, out var at) && at.Connection == g.ConnectionSid),
                TimeSpan.FromSeconds(30), "every garden listed on a survivor", Logs);
            Assert.All(gardens, g => Assert.Contains(after[g.Sid].Node, survivors.Select(n => n.Address)));

            await AssertExactlyOnceAsync(survivors[0], gardens, [seed]);
            Assert.All(onVictim, g => Assert.True(g.Connects >= 2, $"{g.Name} never reconnected"));

            // The killed node comes back: it joins the live cluster (never forms a second one) with a read model folded
            // from the journal that agrees (nothing twice there either).
            await cluster.RestoreAsync();
            var log = victim.Process.Log();
            Assert.Contains("The database shows live cluster members", log[log.LastIndexOf("starting " + victim.Name, StringComparison.Ordinal)..]);
            cluster.AssertOneClusterFormed();
            await AssertExactlyOnceAsync(victim, gardens, [seed]);
        }
        finally
        {
            await DisposeAll(gardens);
            await cluster.RestoreAsync();
        }
    }

    [Fact]
    public async Task A_rolling_restart_of_all_three_nodes_during_a_rollout_to_50_gardens_loses_nothing()
    {
        var nodes = cluster.Nodes;
        const string seedName = "rolling";
        var gardens = new List<FleetGarden>();
        try
        {
            // Enrolled five at a time: an enrollment is not idempotent, so it must not be refused for load and retried.
            foreach (var batch in Enumerable.Range(0, 50).Chunk(5))
            {
                gardens.AddRange(await Task.WhenAll(batch.Select(i => FleetGarden.EnrollAsync(cluster.Url, cluster.Admin, $"rolling-{i:00}", seedName))));
            }
            await Wait.Until(() => gardens.All(g => g.Joined), TimeSpan.FromSeconds(90), "50 gardens to join through nginx", Logs);
            var seeds = new List<string>();
            await using var probe = new ApiProbe(cluster.Url, cluster.Token, "/api/v1/gardens");
            foreach (var node in nodes)
            {
                // Stop one node (its gardens drop and reconnect through nginx), and submit a seed while it is away.
                var watch = Stopwatch.StartNew();
                node.Stop();
                var seed = await cluster.SubmitSeedAsync(seedName);
                seeds.Add(seed);
                node.Start();
                // Until all three are up and reachable in its own view. A node the others down while it starts or just after
                // it rejoined exits; it is started again, as Restart=always does, and the wait allows for that.
                await node.WaitRestartingAsync(() => cluster.MembersAreAsync(node, nodes), "rejoin",
                    maxRestarts: 2, limit: TimeSpan.FromSeconds(240));
                if (node.Restarts > 0) output.WriteLine($"{node.Name} exited while rejoining and was started again {node.Restarts}×, as Restart=always does");
                // Generous: under heavy load the journal's circuit breaker may open during a restart; retries ride it out.
                await Wait.Until(() => gardens.All(g => g.DeploymentSeeds.Values.Contains(seed) && g.Completed.Count == seeds.Count), TimeSpan.FromMinutes(5),
                    $"50 gardens to complete the seed submitted while {node.Name} restarted", () => Behind(gardens, seeds.Count) + Logs());
                output.WriteLine($"{node.Name}: restarted and 50 deployments completed in {watch.Elapsed.TotalSeconds:0.0} s");
            }
            output.WriteLine($"API requests through nginx {probe.Requests}, failed {probe.Failures.Count}; gateway calls retried {gardens.Sum(g => g.Retried)}; acknowledgements dropped (deployment_not_found) {gardens.Sum(g => g.DroppedAcknowledgements)}; "
                + $"reconnects {gardens.Sum(g => g.Connects) - gardens.Count}");
            await AssertExactlyOnceAsync(nodes[2], gardens, seeds);
            Assert.True(probe.Failures.Count == 0, "the API failed through nginx during the rolling restart:\n" + string.Join("\n", probe.Failures));
            cluster.AssertOneClusterFormed();
        }
        finally
        {
            await DisposeAll(gardens);
            await cluster.RestoreAsync();
        }
    }

    [Fact]
    public async Task A_garden_registered_through_one_node_is_listed_by_another_within_seconds()
    {
        var (a, c) = (cluster.Nodes[0], cluster.Nodes[2]);
        var samples = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await cluster.Admin.PostAsJsonAsync(a.Url + "/api/v1/gardens/register", new { name = $"agree-{i}", host_identifier = $"host-agree-{i}" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var registered = watch.Elapsed.TotalSeconds;
            var sid = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sid").GetString();
            await Wait.Until(async () =>
            {
                using var get = await cluster.Admin.GetAsync($"{c.Url}/api/v1/gardens/{sid}");
                return get.StatusCode == HttpStatusCode.OK;
            }, TimeSpan.FromSeconds(30), $"node-c to list the garden registered through node-a ({sid})", Logs);
            samples.Add(watch.Elapsed.TotalSeconds - registered);
        }
        output.WriteLine($"registered on node-a → listed on node-c: {string.Join(", ", samples.Select(s => s.ToString("0.00")))} s");
    }

    [Fact]
    public async Task The_cluster_garden_list_is_for_admins_only_and_ignores_hostile_parameters()
    {
        var via = cluster.Nodes[1];
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(via.Url + "/api/v1/cluster/gardens")).StatusCode);
        using var bogus = new HttpClient();
        bogus.DefaultRequestHeaders.Authorization = new("Bearer", "sower_" + new string('x', 40));
        Assert.Equal(HttpStatusCode.Unauthorized, (await bogus.GetAsync(via.Url + "/api/v1/cluster/gardens")).StatusCode);

        // A token with every read role but admin, and a garden's own credential, are refused.
        using var created = await cluster.Admin.PostAsJsonAsync(via.Url + "/api/v1/tokens", new
        {
            description = "reader",
            roles = new[] { "seed:read", "garden:read", "deployment:read", "metrics:read" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var reader = new HttpClient();
        reader.DefaultRequestHeaders.Authorization = new("Bearer", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync(via.Url + "/api/v1/cluster/gardens")).StatusCode);
        await using var garden = await FleetGarden.EnrollAsync(cluster.Url, cluster.Admin, "cluster-list-garden", "unused");
        using var asGarden = new HttpClient();
        asGarden.DefaultRequestHeaders.Authorization = new("Bearer", garden.Credential);
        Assert.Equal(HttpStatusCode.Forbidden, (await asGarden.GetAsync(via.Url + "/api/v1/cluster/gardens")).StatusCode);

        // Query parameters are not read: hostile ones change nothing and break nothing.
        await Wait.Until(() => garden.Joined, TimeSpan.FromSeconds(30), "the garden to join", Logs);
        var plain = await Wait.For(() => SessionsAsync(via), s => s.ContainsKey(garden.Sid), TimeSpan.FromSeconds(30), "the garden to be listed", Logs);
        using var hostile = await cluster.Admin.GetAsync(via.Url + "/api/v1/cluster/gardens?node=' OR 1=1 --&garden=../../etc/passwd&per_page=-1&" + new string('a', 4000) + "=1");
        Assert.Equal(HttpStatusCode.OK, hostile.StatusCode);
        var listed = (await hostile.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("gardens").EnumerateArray().Select(g => g.GetProperty("garden_sid").GetString()).ToList();
        Assert.Contains(garden.Sid, listed);
        Assert.Equal(plain[garden.Sid].Node, cluster.Nodes.Select(n => n.Address).Single(a => a == plain[garden.Sid].Node));
    }
}

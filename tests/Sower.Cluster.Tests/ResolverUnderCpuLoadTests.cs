using System.Diagnostics;
using System.Net.Http.Json;
using Sower.Cluster.Tests.Support;

using Xunit.Abstractions;

namespace Sower.Cluster.Tests;

/// <summary>
/// Issue 19 measured the split brain resolver downing two healthy nodes of three under CPU load. Here the shared three
/// nodes run beside busy loops that compete for the two cores at the servers' own priority, while a client calls the API
/// through nginx: no member may be downed or removed, and all three keep serving.
/// </summary>
[Collection(ThreeNodeCluster.Collection)]
public sealed class ResolverUnderCpuLoadTests(ThreeNodeCluster cluster, ITestOutputHelper output)
{
    // Longer than the failure detector's pause plus the resolver's stable-after together (10 s + 10 s, the defaults these
    // nodes run with): a node the load made look dead would be marked unreachable and downed inside the window.
    private static readonly TimeSpan HogFor = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task No_member_is_downed_while_cpu_hogs_compete_with_the_three_nodes()
    {
        await cluster.RestoreAsync();
        var pids = cluster.Nodes.Select(n => n.Process.Pid).ToArray();
        int Decisions() => cluster.Nodes.Sum(n => n.Process.Count("SBR took decision"));
        int Unreachable() => cluster.Nodes.Sum(n => n.Process.Count("Marking node(s) as UNREACHABLE"));
        var decisionsBefore = Decisions();
        var unreachableBefore = Unreachable();

        // As many busy loops as cores plus one, not niced: the servers (also not niced) get at most 2/5 of the machine.
        var hogs = Enumerable.Range(0, Environment.ProcessorCount + 1)
            .Select(_ => Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"]) { UseShellExecute = false })!)
            .ToList();
        var membershipSamples = 0;
        await using (var probe = new ApiProbe(cluster.Url, cluster.Token, "/api/v1/auth/verify", "/api/v1/gardens"))
        {
            try
            {
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < HogFor)
                {
                    // Every node still counts three members up (unreachable for a moment is tolerated; downed is not).
                    foreach (var node in cluster.Nodes)
                    {
                        Assert.True(node.Process.Running, $"{node.Name} exited under CPU load\n{cluster.Logs()}");
                        var members = await MembersUpAsync(node);
                        Assert.True(members is null || members == 3, $"{node.Name} counts {members} members up under CPU load\n{cluster.Logs()}");
                        membershipSamples++;
                    }
                    await Task.Delay(1000);
                }
            }
            finally
            {
                foreach (var hog in hogs)
                {
                    hog.Kill();
                    hog.WaitForExit();
                    hog.Dispose();
                }
            }
            output.WriteLine($"{membershipSamples} membership samples, {probe.Requests} API calls through nginx, "
                             + $"{Unreachable() - unreachableBefore} 'unreachable' markings under load, failures: {string.Join("; ", probe.Failures)}");
            Assert.Empty(probe.Failures);
        }

        Assert.Equal(decisionsBefore, Decisions());
        Assert.Equal(pids, cluster.Nodes.Select(n => n.Process.Pid).ToArray());
        foreach (var node in cluster.Nodes)
        {
            await node.WaitReadyAsync(TimeSpan.FromSeconds(30));
            await cluster.WaitMembersAsync(node, cluster.Nodes, $"all three members up and reachable as {node.Name} sees them after the load", TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>How many members <paramref name="node"/> lists as up (reachable or not); null if it did not answer in time
    /// (a starved node may be slow: the probe through nginx is what checks serving).</summary>
    private async Task<int?> MembersUpAsync(ServerNode node)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var body = await cluster.Admin.GetFromJsonAsync<System.Text.Json.JsonElement>(node.Url + "/api/v1/cluster/members", timeout.Token);
            return body.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "up");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return null;
        }
    }
}

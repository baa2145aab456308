using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData;
using Sower.Cli.Tests.Support;

namespace Sower.Cli.Tests;

/// <summary>
/// `sower cluster show|actors` when the server is not alone: a second Akka.NET node (role "probe") joins the server's
/// cluster, and the CLI sees both members, the leader, the probe's roles, and the probe's live actors over remoting.
/// Its own server, so no other test shares a cluster with the probe.
/// </summary>
public sealed class TwoNodeClusterTests(TestServer server) : IClassFixture<TestServer>
{
    private sealed class Quiet : ReceiveActor
    {
        public Quiet() => ReceiveAny(_ => { });
    }

    [Fact]
    public async Task Cluster_show_lists_both_members_and_actors_are_walked_on_the_other_node()
    {
        var self = (string)SowerProcess.JsonLine(Sow.Run(server, "cluster", "show", "--json"))["self_address"]!;
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.cluster.roles = ["probe"]
            akka.cluster.seed-nodes = ["{{self}}"]
            akka.loglevel = WARNING
            """);
        var probe = ActorSystem.Create("sower", config);
        try
        {
            // The sharding coordinator's state lives in distributed data: the probe must run a replicator to take part.
            DistributedData.Get(probe);
            probe.ActorOf(Props.Create(() => new Quiet()), "probe-worker");
            var probeAddress = Akka.Cluster.Cluster.Get(probe).SelfAddress.ToString();

            await Sow.Eventually(() =>
            {
                var members = SowerProcess.JsonLine(Sow.Run(server, "cluster", "show", "--json"))["members"]!.AsArray();
                return members.Count == 2 && members.All(m => (string?)m!["status"] == "up");
            }, "two members up", 60);

            var show = SowerProcess.JsonLine(Sow.Run(server, "cluster", "show", "--json"));
            var probeMember = Assert.Single(show["members"]!.AsArray(), m => (string?)m!["address"] == probeAddress)!;
            Assert.Equal(["probe"], probeMember["roles"]!.AsArray().Select(r => (string?)r));
            Assert.True((bool)probeMember["reachable"]!);
            Assert.False((bool)probeMember["self"]!);
            Assert.NotNull((string?)show["leader"]);

            var text = Sow.Run(server, "cluster", "show");
            Assert.Contains(probeAddress, text.Stdout);
            Assert.Contains("(this node)", text.Stdout);

            var remote = SowerProcess.JsonLine(Sow.Run(server, "cluster", "actors", probeAddress + "/user", "--depth", "1", "--json"));
            Assert.Contains(remote["root"]!["children"]!.AsArray(), c => (string?)c!["name"] == "probe-worker");

            // Connected gardens are looked up on every member: none here, and the lookup still answers.
            Assert.Empty(SowerProcess.JsonLine(Sow.Run(server, "cluster", "gardens", "--json"))["gardens"]!.AsArray());
        }
        finally
        {
            await CoordinatedShutdown.Get(probe).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        }
    }
}

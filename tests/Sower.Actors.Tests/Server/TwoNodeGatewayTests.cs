using System.Net;
using Akka.Actor;
using System.Net.Sockets;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using NodaTime;
using Sower.Actors.Hosting;
using Sower.Messages;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Gateway;
using Sower.Messages.Seeds;
using Sower.Testing;
using static Sower.Actors.Server.GardenProxyProtocol;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Seeds.SeedCommands;

namespace Sower.Actors.Tests.Server;

/// <summary>
/// Two nodes on one PostgreSQL database under strict serialization: gardens whose connections (proxies) live on the
/// second node while sharding spreads their entities over both still get their realtime deployments, so every message
/// between proxy, garden, seed line, seed and deployment entities crosses nodes through the Sower serializer.
/// </summary>
public sealed class TwoNodeGatewayTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabases.CreatePostgresAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Gardens_connected_to_the_second_node_get_realtime_deployments_from_seeds_submitted_on_the_first()
    {
        var clock = new NodaTime.Testing.FakeClock(Instant.FromUtc(2026, 5, 1, 12, 0), Duration.FromMilliseconds(1));
        var port = FreePort();
        await using var first = await EntityHost.StartAsync(_database.Settings, clock, cluster: new ClusterSettings { Port = port });
        await using var second = await EntityHost.StartAsync(_database.Settings, clock,
            cluster: new ClusterSettings { SeedNodes = [$"akka.tcp://sower@127.0.0.1:{port}"] });

        var gardens = new List<(string Name, TestProbe Proxy)>();
        for (var i = 0; i < 6; i++)
        {
            var name = $"two-node-{i}";
            var gid = GardenIdentity.For("host-" + name);
            await second.Ask<GardenEnrolled>(second.Gardens, new RegisterGarden(gid, name, "host-" + name, null, "u"));
            var proxy = new TestProbe(second.System, new XunitAssertions());
            await second.Ask<GardenProxyAttached>(second.Gardens, new AttachGardenProxy(gid, ConnectionId.New(), proxy.Ref));
            await second.Ask<SubscriptionsSynced>(second.Gardens, new SyncSubscriptions(gid, [EntityPersistenceTests.RealtimeSpec(name)]));
            gardens.Add((name, proxy));
        }
        foreach (var (name, proxy) in gardens)
        {
            var artifact = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-" + name + "-1";
            await first.Ask<SeedSubmissionResult>(first.Seeds,
                new SubmitSeed(SeedIdentity.For(SeedType.NixOS, artifact), name, SeedType.NixOS, artifact, [new Tag("git_branch", "main")], false, false, "ci"));
            var push = proxy.FishForMessage<PushToGarden>(p => p.Payload is DeploymentPush { Skipped: false }, EntityHost.Timeout);
            Assert.Equal("realtime", ((DeploymentPush)push.Payload).Trigger);
        }

        // The garden entities really are spread over both nodes, so proxies on the second node talked across.
        foreach (var node in new[] { first, second })
        {
            var state = await node.Gardens.Ask<Akka.Cluster.Sharding.CurrentShardRegionState>(Akka.Cluster.Sharding.GetShardRegionState.Instance, EntityHost.Timeout);
            Assert.Contains(state.Shards, s => s.EntityIds.Count > 0);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

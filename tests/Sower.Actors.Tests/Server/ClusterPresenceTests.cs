using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using NodaTime;
using Sower.Actors.Hosting;
using Sower.Actors.Server;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Testing;
using static Sower.Messages.Gardens.GardenCommands;

namespace Sower.Actors.Tests.Server;

/// <summary>
/// Presence is cluster-wide (issue 19.2): a node that starts after a garden connected to another node shows that garden
/// online (its session started before this process did, which the event fold alone ignores), and offline once the
/// connection ends. Two (then three) nodes on one PostgreSQL database.
/// </summary>
public sealed class ClusterPresenceTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabases.CreatePostgresAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_node_started_after_a_garden_connected_elsewhere_shows_it_online_and_then_offline_when_it_leaves()
    {
        var clock = new NodaTime.Testing.FakeClock(Instant.FromUtc(2026, 5, 1, 12, 0), Duration.FromMilliseconds(1));
        var port = FreePort();
        var seed = new ClusterSettings { SeedNodes = [$"akka.tcp://sower@127.0.0.1:{port}"] };
        await using var first = await EntityHost.StartAsync(_database.Settings, clock, cluster: new ClusterSettings { Port = port });

        const string name = "presence-web01";
        var gid = GardenIdentity.For("host-" + name);
        await first.Ask<GardenEnrolled>(first.Gardens, new RegisterGarden(gid, name, "host-" + name, null, "u"));
        // The gateway's own proxy for a live connection, on the first node.
        var proxy = first.System.ActorOf(GardenProxyActor.Props(gid, ConnectionId.New(), new NoConnection(), first.Gardens, TimeSpan.FromSeconds(30)));
        await first.ReadModelWhere(m => m.IsOnline(gid), "the garden online on the node it is connected to");

        // Later (a restarted node): the session started before this process; it is online here too.
        clock.Advance(Duration.FromMinutes(5));
        await using var later = await EntityHost.StartAsync(_database.Settings, clock, cluster: seed);
        await later.ReadModelWhere(m => m.Gardens.ContainsKey(gid.Value) && m.IsOnline(gid), "the garden online on a node started after it connected");

        // The connection ends: offline everywhere.
        first.System.Stop(proxy);
        await later.ReadModelWhere(m => !m.IsOnline(gid), "the garden offline on the later node once its connection ended");
        await first.ReadModelWhere(m => !m.IsOnline(gid), "the garden offline on its own node once its connection ended");
    }

    [Fact]
    public async Task The_gardens_of_a_node_that_left_are_offline_on_the_others()
    {
        var clock = new NodaTime.Testing.FakeClock(Instant.FromUtc(2026, 5, 1, 12, 0), Duration.FromMilliseconds(1));
        var port = FreePort();
        await using var first = await EntityHost.StartAsync(_database.Settings, clock, cluster: new ClusterSettings { Port = port });
        var second = await EntityHost.StartAsync(_database.Settings, clock, cluster: new ClusterSettings { SeedNodes = [$"akka.tcp://sower@127.0.0.1:{port}"] });

        const string name = "presence-leaver";
        var gid = GardenIdentity.For("host-" + name);
        await second.Ask<GardenEnrolled>(second.Gardens, new RegisterGarden(gid, name, "host-" + name, null, "u"));
        second.System.ActorOf(GardenProxyActor.Props(gid, ConnectionId.New(), new NoConnection(), second.Gardens, TimeSpan.FromSeconds(30)));
        await first.ReadModelWhere(m => m.IsOnline(gid), "the garden connected to the second node online on the first");

        await second.DisposeAsync();
        await first.ReadModelWhere(m => !m.IsOnline(gid), "the garden of the departed node offline on the first");
    }

    private sealed class NoConnection : IGardenConnection
    {
        public Task SendAsync(string method, object payload) => Task.CompletedTask;

        public void Abort() { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

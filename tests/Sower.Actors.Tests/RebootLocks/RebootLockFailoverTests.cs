using System.Collections.Immutable;
using NodaTime;
using Sower.Actors.Hosting;
using Sower.Actors.Tests.Server;
using Sower.Messages.Domain;
using Sower.Messages.RebootLocks;
using Sower.Testing;
using static Sower.Messages.RebootLocks.RebootLockCommands;
using static Sower.Messages.RebootLocks.RebootLockQueries;
using static Sower.Messages.RebootLocks.RebootLockReplies;

namespace Sower.Actors.Tests.RebootLocks;

/// <summary>The reboot lease table as the host runs it (a cluster singleton on a real SQLite journal): a whole new actor
/// system on the same database, as after a server restart or a failover to another node, still holds every lease.</summary>
public sealed class RebootLockFailoverTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    /// <summary>The singleton starts only once its node is the oldest Up member: on a loaded machine the first ask may
    /// time out while it hands over, so ask again (the command is idempotent for the holder).</summary>
    private static async Task<T> Patiently<T>(EntityHost host, Akka.Actor.IActorRef target, object message)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await host.Ask<T>(target, message); }
            catch (Exception e) when (attempt < 3 && e is Akka.Actor.AskTimeoutException or TaskCanceledException) { }
        }
    }

    [Fact]
    public async Task Leases_survive_a_server_restart_and_the_full_group_still_refuses()
    {
        var clock = new NodaTime.Testing.FakeClock(Instant.FromUtc(2026, 12, 5, 10, 0));
        var web03 = new GardenId("grdn_aaaaaaaaaaaaaaaaaaaaaaaa");
        var web07 = new GardenId("grdn_bbbbbbbbbbbbbbbbbbbbbbbb");
        var deployment = new DeploymentId("dply_aaaaaaaaaaaaaaaaaaaaaaaa");
        var labels = ImmutableDictionary<string, string>.Empty;
        await using (var first = await EntityHost.StartAsync(_database.Settings, clock))
        {
            var granted = await Patiently<RebootLeaseGranted>(first, first.RebootLocks,
                new AcquireRebootLease(web03, "web03", labels, deployment, new ConnectionId("conn_aaaaaaaaaaaaaaaaaaaaaaaa")));
            Assert.Equal(web03, granted.Lease.Garden);
        }
        await using var second = await EntityHost.StartAsync(_database.Settings, clock);
        var list = await Patiently<RebootLockList>(second, second.RebootLocks, GetRebootLocks.Instance);
        Assert.Equal([web03], list.Leases.Select(l => l.Garden));
        var denied = await second.Ask<RebootLeaseDenied>(second.RebootLocks,
            new AcquireRebootLease(web07, "web07", labels, new DeploymentId("dply_bbbbbbbbbbbbbbbbbbbbbbbb"), new ConnectionId("conn_bbbbbbbbbbbbbbbbbbbbbbbb")));
        Assert.Equal(["web03"], denied.Holders.ToArray());
    }
}

using Sower.Actors.Hosting.Membership;
using Sower.Testing;

namespace Sower.Actors.Tests.Membership;

/// <summary>The membership table and the leases on a real PostgreSQL database: one owner per lease, a dead owner's lease
/// taken over only after it expired, and only members with a recent heartbeat counted as live.</summary>
public sealed class ClusterDatabaseTests : IAsyncLifetime
{
    private TestDatabase? _db;
    private ClusterDatabase Db => new(_db!.ConnectionString);

    public async Task InitializeAsync()
    {
        _db = await TestDatabases.CreatePostgresAsync();
        await Db.EnsureSchemaAsync();
    }

    public async Task DisposeAsync() => await _db!.DisposeAsync();

    [Fact]
    public async Task A_lease_has_one_owner_until_it_is_released_or_expires()
    {
        Assert.True(await Db.TryAcquireLeaseAsync("sbr", "a", TimeSpan.FromSeconds(30)));
        Assert.False(await Db.TryAcquireLeaseAsync("sbr", "b", TimeSpan.FromSeconds(30)));
        Assert.True(await Db.TryAcquireLeaseAsync("sbr", "a", TimeSpan.FromSeconds(30)));
        Assert.True(await Db.RenewLeaseAsync("sbr", "a", TimeSpan.FromSeconds(30)));
        Assert.False(await Db.RenewLeaseAsync("sbr", "b", TimeSpan.FromSeconds(30)));
        await Db.ReleaseLeaseAsync("sbr", "b");
        Assert.False(await Db.TryAcquireLeaseAsync("sbr", "b", TimeSpan.FromSeconds(30)));
        await Db.ReleaseLeaseAsync("sbr", "a");
        Assert.True(await Db.TryAcquireLeaseAsync("sbr", "b", TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task An_expired_lease_goes_to_the_next_node_and_its_old_owner_cannot_renew_it()
    {
        Assert.True(await Db.TryAcquireLeaseAsync("sbr", "killed", TimeSpan.FromMilliseconds(300)));
        await Task.Delay(600);
        Assert.True(await Db.TryAcquireLeaseAsync("sbr", "survivor", TimeSpan.FromSeconds(30)));
        Assert.False(await Db.RenewLeaseAsync("sbr", "killed", TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Only_members_with_a_recent_heartbeat_other_than_itself_are_live()
    {
        await Db.HeartbeatAsync("akka.tcp://sower@10.0.0.1:4053");
        await Db.HeartbeatAsync("akka.tcp://sower@10.0.0.2:4053");
        Assert.Equal(["akka.tcp://sower@10.0.0.2:4053"], await Db.LiveMembersAsync("akka.tcp://sower@10.0.0.1:4053", TimeSpan.FromSeconds(15)));
        await Task.Delay(600);
        Assert.Empty(await Db.LiveMembersAsync("akka.tcp://sower@10.0.0.3:4053", TimeSpan.FromMilliseconds(300)));
        await Db.RemoveMemberAsync("akka.tcp://sower@10.0.0.2:4053");
        Assert.Empty(await Db.LiveMembersAsync("akka.tcp://sower@10.0.0.1:4053", TimeSpan.FromSeconds(15)));
    }
}

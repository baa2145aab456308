using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using NodaTime;
using Sower.Actors.Hosting;
using Sower.Actors.Server;
using Sower.Messages;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Gateway;
using Sower.Messages.Seeds;
using Sower.Testing;
using static Sower.Actors.Server.GardenProxyProtocol;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Deployments.DeploymentQueries;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Gardens.GardenQueries;
using static Sower.Messages.Seeds.SeedCommands;
using static Sower.Messages.Seeds.SeedLineQueries;
using static Sower.Messages.Seeds.SeedQueries;

namespace Sower.Actors.Tests.Server;

/// <summary>
/// Recovery from the journal: a realtime deployment is created and half reported, the actor system stops, a new one
/// starts on the same database, and every entity (seed, seed line, garden, deployment) and the projected read model come
/// back with nothing lost; the deployment then completes. Runs on SQLite and on PostgreSQL.
/// </summary>
public abstract class EntityPersistenceTests(DatabaseProvider provider) : IAsyncLifetime
{
    private TestDatabase _database = null!;

    // Snapshot every third event so recovery goes through snapshots and the events after them.
    private static readonly ServerEntitySettings Snapshotting = new() { SnapshotEvery = 3 };

    public async Task InitializeAsync() => _database = await TestDatabases.CreateAsync(provider);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    internal static SubscriptionSpec RealtimeSpec(string seedName)
    {
        var json = """
            {"name":"system","seed_name":"SEED","seed_type":"nixos","rules":[{"key":"git_branch","op":"eq","value":"main"}],
             "policy":{"live":{"actions":["activate"],"triggers":["realtime","manual"]}}}
            """.Replace("SEED", seedName);
        var node = System.Text.Json.Nodes.JsonNode.Parse(json);
        return SubscriptionJson.Parse("system", node, "s", null).Value!;
    }

    [Fact]
    public async Task Every_entity_and_the_read_model_recover_after_the_actor_system_restarts_on_the_same_database()
    {
        var clock = new NodaTime.Testing.FakeClock(Instant.FromUtc(2026, 5, 1, 12, 0), Duration.FromMilliseconds(1));
        var gid = GardenIdentity.For("host-persist");
        var artifact = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-web-01-24.05";
        var seedId = SeedIdentity.For(SeedType.NixOS, artifact);
        DeploymentId deployment;
        SubscriptionId subscription;

        await using (var first = await EntityHost.StartAsync(_database.Settings, clock, Snapshotting))
        {
            var proxy = new TestProbe(first.System, new XunitAssertions());
            await first.Ask<GardenEnrolled>(first.Gardens, new RegisterGarden(gid, "web-01", "host-persist", "1.0", "user_a"));
            await first.Ask<GardenProxyAttached>(first.Gardens, new AttachGardenProxy(gid, ConnectionId.New(), proxy.Ref));
            var synced = await first.Ask<SubscriptionsSynced>(first.Gardens, new SyncSubscriptions(gid, [RealtimeSpec("web-01")]));
            subscription = synced.Subscriptions[0].Sid;

            // The line learns of the follower asynchronously; submit once it answers queries (it persisted the follow first).
            await first.Ask<SeedSubmissionResult>(first.Seeds,
                new SubmitSeed(seedId, "web-01", SeedType.NixOS, artifact, [new Tag("git_branch", "main")], false, false, "user_a"));
            var push = proxy.FishForMessage<PushToGarden>(p => p.Payload is DeploymentPush { Skipped: false }, EntityHost.Timeout);
            var payload = (DeploymentPush)push.Payload;
            Assert.Equal("realtime", payload.Trigger);
            deployment = new DeploymentId(payload.Sid);

            await first.Ask<CommandAccepted>(first.Deployments, new AcknowledgeDeployment(deployment, gid));
            await first.Ask<CommandAccepted>(first.Deployments, new RecordSeedResult(deployment, gid, seedId, null, null, "downloading closure"));
            await first.ReadModelWhere(m => m.Deployments.TryGetValue(deployment.Value, out var d) && d.State == DeploymentState.Acknowledged,
                "the acknowledged deployment");
        }

        await using var second = await EntityHost.StartAsync(_database.Settings, clock, Snapshotting);
        var garden = (await second.Ask<GardenFound>(second.Gardens, new GetGarden(gid))).Garden!;
        Assert.Equal("web-01", garden.Name);
        Assert.Equal("1.0", garden.Version);
        Assert.Equal(subscription, Assert.Single(garden.Subscriptions).Sid);
        Assert.Equal(DeploymentState.Acknowledged, garden.LatestDeployment!.State);

        var record = (await second.Ask<DeploymentFound>(second.Deployments, new GetDeployment(deployment))).Deployment!;
        Assert.Equal(DeploymentState.Acknowledged, record.State);
        Assert.Equal("downloading closure", Assert.Single(record.Seeds).Log);

        Assert.Equal(artifact, (await second.Ask<SeedFound>(second.Seeds, new GetSeed(seedId))).Seed!.Artifact);
        var latest = await second.Ask<LatestMatchingSeed>(second.SeedLines,
            new GetLatestMatchingSeed(new SeedLineKey(SeedType.NixOS, "web-01"), [Rule.Equal("git_branch", "main")], "c"));
        Assert.Equal(seedId, latest.Seed!.Sid);

        await second.ReadModelWhere(m => m.Deployments.ContainsKey(deployment.Value) && m.Seeds.ContainsKey(seedId.Value) && m.Gardens.ContainsKey(gid.Value),
            "the recovered entities in the rebuilt read model");

        await second.Ask<CommandAccepted>(second.Deployments, new RecordSeedResult(deployment, gid, seedId, SeedResult.Success, ExecutedAction.Activate, "switched"));
        await second.Ask<CommandAccepted>(second.Deployments, new RecordDeploymentResult(deployment, gid, DeploymentResult.Success, clock.GetCurrentInstant()));
        var done = (await second.Ask<DeploymentFound>(second.Deployments, new GetDeployment(deployment))).Deployment!;
        Assert.Equal(DeploymentState.Completed, done.State);
        Assert.Equal("downloading closure\nswitched", done.Seeds[0].Log);
        await second.ReadModelWhere(m => m.Gardens[gid.Value].FindDeployment(deployment)?.State == DeploymentState.Completed, "the garden index to mirror completion");
    }

    [Fact]
    public async Task A_deleted_gardens_tombstone_and_a_parked_enrollment_survive_a_restart()
    {
        var clock = new NodaTime.Testing.FakeClock(Instant.FromUtc(2026, 5, 1, 12, 0), Duration.FromMilliseconds(1));
        var deleted = GardenIdentity.For("host-tombstone");
        var waiting = GardenIdentity.For("host-waiting");
        EnrollmentId enrollment;
        await using (var first = await EntityHost.StartAsync(_database.Settings, clock, Snapshotting))
        {
            await first.Ask<GardenEnrolled>(first.Gardens, new RegisterGarden(deleted, "gone", "host-tombstone", null, "user_a"));
            await first.Ask<GardenDeleted>(first.Gardens, new DeleteGarden(deleted, Actor.FromLegacy("admin_a")));
            await first.Ask<GardenEnrolled>(first.Gardens, new RegisterGarden(waiting, "web", "host-waiting", null, "user_a"));
            enrollment = (await first.Ask<EnrollmentParked>(first.Gardens, new RegisterGarden(waiting, "web-2", "host-waiting", null, "user_b", ClaimHash: "h")))
                .Enrollment;
        }

        await using var second = await EntityHost.StartAsync(_database.Settings, clock, Snapshotting);
        var refused = await second.Ask<CommandFailed>(second.Gardens, new RegisterGarden(deleted, "gone", "host-tombstone", null, "admin_a", CallerIsAdmin: true));
        Assert.Equal(GardenEnrollmentRules.GardenDeleted, refused.Code);
        await second.ReadModelWhere(m => m.Gardens.TryGetValue(deleted.Value, out var g) && g.Tombstone?.DeletedBy == "admin_a"
            && m.Gardens.TryGetValue(waiting.Value, out var w) && w.FindEnrollment(enrollment) is not null, "the tombstone and the enrollment in the read model");
        var decided = await second.Ask<EnrollmentDecided>(second.Gardens, new ApproveEnrollment(waiting, enrollment, "admin_a"));
        Assert.Equal(EnrollmentStatus.Approved, decided.Status);
        await second.Ask<CommandAccepted>(second.Gardens, new RestoreGarden(deleted, "admin_a"));
        Assert.False((await second.Ask<GardenEnrolled>(second.Gardens, new RegisterGarden(deleted, "back", "host-tombstone", null, "user_a"))).Rebound);
    }
}

public sealed class EntityPersistenceOnSqliteTests() : EntityPersistenceTests(DatabaseProvider.Sqlite);

public sealed class EntityPersistenceOnPostgresTests() : EntityPersistenceTests(DatabaseProvider.PostgreSql);

/// <summary>
/// Remembered entities restart by themselves: a dispatched deployment nobody talks to after a restart still goes stale on
/// its own timer (REFERENCE §6.11: no global sweep, the entity is alive again because sharding remembered it).
/// </summary>
public sealed class RememberedDeploymentTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task An_unresolved_deployment_restarts_after_a_restart_and_goes_stale_without_being_asked()
    {
        var clock = new NodaTime.Testing.FakeClock(Instant.FromUtc(2026, 5, 1, 12, 0), Duration.FromMilliseconds(1));
        var settings = EntityFixture.Fast;
        var id = DeploymentId.New();
        await using (var first = await EntityHost.StartAsync(_database.Settings, clock, settings))
        {
            var seed = new SeedInfo(SeedIdentity.For(SeedType.NixOS, "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-r"), "r", SeedType.NixOS,
                "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-r", [], clock.GetCurrentInstant(), clock.GetCurrentInstant(), false, "ci");
            var record = DeploymentPlanner.NewRecord(id, GardenIdentity.For("remembered"), RequestId.New(), Trigger.Manual, AuditReason.UserTriggered, Actor.FromLegacy("u"),
                ContentHash.Of([seed.Sid]), clock.GetCurrentInstant(), false, [], [new PlannedSeed(SubscriptionId.New(), "s", PolicyAction.Activate, seed)], null, 0);
            await first.Ask<DeploymentChanged>(first.Deployments, new CreateDeployment(id, record));
        }

        clock.Advance(Duration.FromHours(3));
        await using var second = await EntityHost.StartAsync(_database.Settings, clock, settings);
        await second.ReadModelWhere(m => m.Deployments.TryGetValue(id.Value, out var d) && d.State == DeploymentState.Stale, "the deployment to go stale by itself");
    }
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using NodaTime;
using NodaTime.Testing;
using Sower.Actors.Server;
using Sower.Messages;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Gateway;
using Sower.Messages.Rollouts;
using Sower.Messages.Seeds;
using Sower.Testing;
using static Sower.Actors.Server.GardenProxyProtocol;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Gardens.GardenCommands;
using static Sower.Messages.Gardens.GardenQueries;
using static Sower.Messages.Rollouts.RolloutCommands;
using static Sower.Messages.Rollouts.RolloutQueries;
using static Sower.Messages.Seeds.SeedCommands;

namespace Sower.Actors.Tests.Server;

/// <summary>One entity host with a fake clock that moves only when a test moves it, and a fast rollout re-check.</summary>
public sealed class RolloutFixture : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public FakeClock Clock { get; } = new(Instant.FromUtc(2026, 5, 1, 12, 0));
    public EntityHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = TestDatabases.CreateSqlite();
        Host = await EntityHost.StartAsync(_database.Settings, Clock, EntityFixture.Fast with { RolloutCheckInterval = TimeSpan.FromMilliseconds(200) });
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>
/// Rollout waves through the real entities (issue 14.2): gardens with labels, a plan on the seed line, a realtime seed
/// offered to the canary wave only, outcomes reported by the deployments, the soak measured on a fake clock.
/// </summary>
public sealed class RolloutWaveActorTests(RolloutFixture fixture) : IClassFixture<RolloutFixture>
{
    private readonly EntityHost _host = fixture.Host;

    private sealed record Member(GardenId Garden, TestProbe Proxy);

    private async Task<Member> Enroll(string name, string seedName, string role)
    {
        var gid = GardenIdentity.For("host-" + name);
        await _host.Ask<GardenEnrolled>(_host.Gardens, new RegisterGarden(gid, name, "host-" + name, null, "u"));
        var proxy = new TestProbe(_host.System, new XunitAssertions());
        await _host.Ask<GardenProxyAttached>(_host.Gardens, new AttachGardenProxy(gid, ConnectionId.New(), proxy.Ref));
        var labels = GardenLabels.None.Add("role", role);
        await _host.Ask<SubscriptionsSynced>(_host.Gardens, new SyncSubscriptions(gid, [EntityPersistenceTests.RealtimeSpec(seedName)]) { Labels = labels });
        return new Member(gid, proxy);
    }

    private RolloutPlan Plan(string soak, params string[] waves) =>
        RolloutPlanParser.Parse(waves, soak, 100, Actor.ServerAs("ops"), fixture.Clock.GetCurrentInstant()).Value!;

    private async Task<SeedInfo> Submit(string seedName, string version)
    {
        var artifact = $"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-{seedName}-{version}";
        var reply = await _host.Ask<SeedSubmissionResult>(_host.Seeds,
            new SubmitSeed(SeedIdentity.For(SeedType.NixOS, artifact), seedName, SeedType.NixOS, artifact, [new Tag("git_branch", "main")], false, false, "ci"));
        return reply.Seed!;
    }

    private static DeploymentPush Offered(Member m) =>
        (DeploymentPush)m.Proxy.FishForMessage<PushToGarden>(p => p.Payload is DeploymentPush { Skipped: false }, EntityHost.Timeout).Payload;

    private static void NotOffered(Member m, TimeSpan within)
    {
        var received = m.Proxy.ReceiveWhile<object>(within, o => o);
        Assert.DoesNotContain(received, o => o is PushToGarden { Payload: DeploymentPush { Skipped: false } });
    }

    private async Task Complete(Member m, DeploymentPush push, DeploymentResult result) =>
        await _host.Deployments.Ask<object>(new RecordDeploymentResult(new DeploymentId(push.Sid), m.Garden, result, fixture.Clock.GetCurrentInstant()), EntityHost.Timeout);

    private async Task<RolloutView> RolloutWhere(SeedLineKey line, Func<RolloutView, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + EntityHost.Timeout;
        while (true)
        {
            var found = await _host.Ask<RolloutFound>(_host.SeedLines, new GetRollout(line));
            if (found.Rollout is { } r && condition(r)) return r;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"rollout never reached: {what}; last: {found.Rollout?.Status} wave {found.Rollout?.CurrentWave}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task The_canary_wave_gets_the_seed_first_and_the_rest_only_after_success_and_the_soak_time()
    {
        var seedName = "waves-" + Guid.NewGuid().ToString("N")[..6];
        var line = new SeedLineKey(SeedType.NixOS, seedName);
        var canary = await Enroll(seedName + "-c", seedName, "canary");
        var web1 = await Enroll(seedName + "-w1", seedName, "web");
        var web2 = await Enroll(seedName + "-w2", seedName, "web");
        var planSet = await _host.Ask<RolloutFound>(_host.SeedLines, new SetRolloutPlan(line, Plan("10m", "canary: role=canary", "rest")));
        Assert.NotNull(planSet.Plan);

        await Submit(seedName, "1");
        var push = Offered(canary);
        Assert.Equal("realtime", push.Trigger);
        NotOffered(web1, TimeSpan.FromSeconds(1));
        NotOffered(web2, TimeSpan.FromMilliseconds(100));

        await Complete(canary, push, DeploymentResult.Success);
        var soaking = await RolloutWhere(line, r => r.Waves[0].State == "soaking", "the canary wave soaking");
        Assert.Equal(fixture.Clock.GetCurrentInstant() + Duration.FromMinutes(10), soaking.Waves[0].SoakUntil!.Value, new ToleranceComparer());
        NotOffered(web1, TimeSpan.FromSeconds(1)); // well past several re-checks, but the fake clock has not moved

        fixture.Clock.Advance(Duration.FromMinutes(10));
        var second = await RolloutWhere(line, r => r.CurrentWave == 2, "the second wave");
        Assert.Equal(2, second.Waves[1].Total);
        Offered(web1);
        Offered(web2);
    }

    [Fact]
    public async Task A_failed_canary_halts_the_rollout_and_an_operator_resumes_it()
    {
        var seedName = "halt-" + Guid.NewGuid().ToString("N")[..6];
        var line = new SeedLineKey(SeedType.NixOS, seedName);
        var canary = await Enroll(seedName + "-c", seedName, "canary");
        var web = await Enroll(seedName + "-w", seedName, "web");
        await _host.Ask<RolloutFound>(_host.SeedLines, new SetRolloutPlan(line, Plan("0", "canary: role=canary", "rest")));

        await Submit(seedName, "1");
        await Complete(canary, Offered(canary), DeploymentResult.Failure);
        var halted = await RolloutWhere(line, r => r.Status == RolloutStatus.Halted, "halted");
        Assert.Contains("1 of 1 failed", halted.Reason);
        NotOffered(web, TimeSpan.FromSeconds(1));

        var refused = await _host.SeedLines.Ask<object>(new AbortRollout(new SeedLineKey(SeedType.NixOS, seedName + "-none"), Actor.ServerAs("ops")), EntityHost.Timeout);
        Assert.Equal("rollout_not_active", Assert.IsType<CommandFailed>(refused).Code);

        var resumed = await _host.Ask<RolloutFound>(_host.SeedLines, new ResumeRollout(line, Actor.ServerAs("ops")));
        Assert.Equal(RolloutStatus.Running, resumed.Rollout!.Status);
        Offered(web);
    }

    [Fact]
    public async Task Admin_labels_win_over_the_gardens_own_and_reach_the_seed_line()
    {
        var seedName = "labels-" + Guid.NewGuid().ToString("N")[..6];
        var line = new SeedLineKey(SeedType.NixOS, seedName);
        var garden = await Enroll(seedName + "-a", seedName, "web");
        var web = await Enroll(seedName + "-b", seedName, "web");
        var found = await _host.Ask<GardenFound>(_host.Gardens,
            new ChangeGardenLabels(garden.Garden, GardenLabels.None.Add("role", "canary"), [], Actor.ServerAs("ops")));
        Assert.Equal("canary", found.Garden!.Labels["role"]);
        Assert.Equal("web", found.Garden.OwnLabels!["role"]);
        await _host.Ask<RolloutFound>(_host.SeedLines, new SetRolloutPlan(line, Plan("1h", "canary: role=canary", "rest")));

        await Submit(seedName, "1");
        Offered(garden);
        NotOffered(web, TimeSpan.FromSeconds(1));

        var tooMany = GardenLabels.None.AddRange(Enumerable.Range(0, 33).Select(i => KeyValuePair.Create($"k{i}", "v")));
        var refused = await _host.Gardens.Ask<object>(new ChangeGardenLabels(garden.Garden, tooMany, [], Actor.ServerAs("ops")), EntityHost.Timeout);
        Assert.Equal(GardenLabels.TooManyLabels, Assert.IsType<CommandFailed>(refused).Code);
    }

    private sealed class ToleranceComparer : IEqualityComparer<Instant>
    {
        public bool Equals(Instant a, Instant b) => Math.Abs((a - b).TotalSeconds) < 5;

        public int GetHashCode(Instant obj) => 0;
    }
}

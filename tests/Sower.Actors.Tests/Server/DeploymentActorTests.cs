using System.Collections.Immutable;
using NodaTime;
using Sower.Messages;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using static Sower.Messages.Deployments.DeploymentCommands;
using static Sower.Messages.Deployments.DeploymentQueries;

namespace Sower.Actors.Tests.Server;

/// <summary>The DeploymentActor state machine on the real journal (REFERENCE §6.4, §6.9, §6.11, §6.12).</summary>
public sealed class DeploymentActorTests(EntityFixture fixture) : IClassFixture<EntityFixture>
{
    private readonly EntityHost _host = fixture.Host;
    private static readonly GardenId Owner = new("grdn_owner00000000000000000000"[..29]);
    private static readonly GardenId Other = new("grdn_other00000000000000000000"[..29]);

    private static SeedInfo Seed(string name) => new(SeedIdentity.For(SeedType.NixOS, "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-" + name), name,
        SeedType.NixOS, "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-" + name, [], Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 1, 1, 0, 0), false, "ci");

    private async Task<(DeploymentId Id, SeedId Seed)> Create(bool awaiting = false)
    {
        var seed = Seed("sys-" + Guid.NewGuid().ToString("N")[..8]);
        var id = DeploymentId.New();
        var record = Messages.Gardens.DeploymentPlanner.NewRecord(id, Owner, RequestId.New(), Trigger.Manual, AuditReason.UserTriggered, Actor.FromLegacy("user_a"),
            ContentHash.Of([seed.Sid]), fixture.Clock.GetCurrentInstant(), awaiting, awaiting ? ["careful"] : [],
            [new PlannedSeed(SubscriptionId.New(), "system", PolicyAction.Activate, seed)], null, 0);
        await _host.Ask<DeploymentChanged>(_host.Deployments, new CreateDeployment(id, record));
        return (id, seed.Sid);
    }

    private async Task<DeploymentRecord> Get(DeploymentId id) => (await _host.Ask<DeploymentFound>(_host.Deployments, new GetDeployment(id))).Deployment!;

    private async Task<DeploymentRecord> Eventually(DeploymentId id, Func<DeploymentRecord, bool> condition)
    {
        var deadline = DateTime.UtcNow + EntityHost.Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var d = await Get(id);
            if (condition(d)) return d;
            await Task.Delay(50);
        }
        throw new TimeoutException("the deployment never reached the expected state");
    }

    [Fact]
    public async Task Progress_moves_dispatched_to_acknowledged_to_completed_and_logs_only_ever_append()
    {
        var (id, seed) = await Create();
        Assert.Equal(DeploymentState.Dispatched, (await Get(id)).State);
        await _host.Ask<CommandAccepted>(_host.Deployments, new AcknowledgeDeployment(id, Owner));
        await _host.Ask<CommandAccepted>(_host.Deployments, new SetSeedStatus(id, Owner, seed, SeedDeploymentState.Downloading));
        await _host.Ask<CommandAccepted>(_host.Deployments, new RecordSeedResult(id, Owner, seed, null, null, "a"));
        await _host.Ask<CommandAccepted>(_host.Deployments, new RecordSeedResult(id, Owner, seed, SeedResult.Success, ExecutedAction.Activate, null));
        await _host.Ask<CommandAccepted>(_host.Deployments, new RecordSeedResult(id, Owner, seed, null, null, ""));
        await _host.Ask<CommandAccepted>(_host.Deployments, new RecordSeedResult(id, Owner, seed, null, null, "b"));
        var deployedAt = Instant.FromUtc(2026, 5, 1, 13, 0);
        await _host.Ask<CommandAccepted>(_host.Deployments, new RecordDeploymentResult(id, Owner, DeploymentResult.Success, deployedAt));

        var d = await Get(id);
        Assert.Equal(DeploymentState.Completed, d.State);
        Assert.Equal(DeploymentResult.Success, d.Result);
        Assert.Equal(deployedAt, d.DeployedAt);
        Assert.Equal("a\nb", d.Seeds[0].Log);
        Assert.Equal(SeedResult.Success, d.Seeds[0].Result);
        Assert.Equal(ExecutedAction.Activate, d.Seeds[0].Executed);
        Assert.Equal(SeedDeploymentState.Downloading, d.Seeds[0].State);
    }

    [Fact]
    public async Task Messages_from_another_garden_or_about_a_foreign_seed_are_refused_and_change_nothing()
    {
        var (id, seed) = await Create();
        Assert.Equal(DeploymentEntityState.Unauthorized, (await _host.Ask<CommandFailed>(_host.Deployments, new AcknowledgeDeployment(id, Other))).Code);
        Assert.Equal(DeploymentEntityState.Unauthorized,
            (await _host.Ask<CommandFailed>(_host.Deployments, new RecordDeploymentResult(id, Other, DeploymentResult.Failure, Instant.MinValue))).Code);
        Assert.Equal(DeploymentEntityState.SeedNotInDeployment,
            (await _host.Ask<CommandFailed>(_host.Deployments, new RecordSeedResult(id, Owner, Seed("elsewhere").Sid, SeedResult.Failure, null, "x"))).Code);
        Assert.Equal(DeploymentEntityState.NotFound,
            (await _host.Ask<CommandFailed>(_host.Deployments, new AcknowledgeDeployment(DeploymentId.New(), Owner))).Code);
        var d = await Get(id);
        Assert.Equal(DeploymentState.Dispatched, d.State);
        Assert.Equal("", d.Seeds[0].Log);
        Assert.Equal(seed, d.Seeds[0].Seed.Sid);
    }

    [Fact]
    public async Task An_acknowledgement_that_overtakes_the_creation_waits_for_it_and_is_recorded()
    {
        // The garden can answer its push before the deployment entity has its CreateDeployment (different senders, maybe
        // different nodes); refused, the garden would drop the acknowledgement for good.
        var seed = Seed("early-" + Guid.NewGuid().ToString("N")[..8]);
        var id = DeploymentId.New();
        var early = _host.Ask<CommandAccepted>(_host.Deployments, new AcknowledgeDeployment(id, Owner));
        await Task.Delay(300);
        var record = Messages.Gardens.DeploymentPlanner.NewRecord(id, Owner, RequestId.New(), Trigger.Manual, AuditReason.UserTriggered, Actor.FromLegacy("user_a"),
            ContentHash.Of([seed.Sid]), fixture.Clock.GetCurrentInstant(), false, [],
            [new PlannedSeed(SubscriptionId.New(), "system", PolicyAction.Activate, seed)], null, 0);
        await _host.Ask<DeploymentChanged>(_host.Deployments, new CreateDeployment(id, record));

        await early;
        Assert.Equal(DeploymentState.Acknowledged, (await Get(id)).State);
    }

    [Fact]
    public async Task An_unresolved_deployment_goes_stale_on_its_own_timer_and_a_late_result_is_still_recorded()
    {
        var (id, _) = await Create();
        fixture.Clock.Advance(Duration.FromHours(2) + Duration.FromMinutes(1));
        var stale = await Eventually(id, d => d.State == DeploymentState.Stale);
        Assert.Equal(DeploymentResult.Failure, stale.Result);
        Assert.Contains(stale.Events, e => e is { Type: "canceled", Reason: "stale" } && e.Actor == Actor.Server);

        await _host.Ask<CommandAccepted>(_host.Deployments, new RecordDeploymentResult(id, Owner, DeploymentResult.Success, Instant.FromUtc(2026, 5, 1, 15, 0)));
        var late = await Get(id);
        Assert.Equal(DeploymentState.Stale, late.State);
        Assert.Equal(DeploymentResult.Success, late.Result);
        Assert.Contains(late.Events, e => e.Type == "late_result");
    }

    [Fact]
    public async Task Awaiting_approval_is_never_stale_approval_dispatches_and_an_undecided_one_expires()
    {
        var (approved, _) = await Create(awaiting: true);
        var (expiring, _) = await Create(awaiting: true);
        fixture.Clock.Advance(Duration.FromHours(3));
        await _host.Ask<CommandAccepted>(_host.Deployments, new ApproveDeployment(approved, Actor.FromLegacy("user_b")));
        var a = await Get(approved);
        Assert.Equal(DeploymentState.Dispatched, a.State);
        Assert.True(a.Approved);
        Assert.Contains(a.Events, e => e.Type == "approved" && e.Actor == Actor.FromLegacy("user_b"));
        Assert.Equal(DeploymentEntityState.InvalidState, (await _host.Ask<CommandFailed>(_host.Deployments, new RejectDeployment(approved, Actor.FromLegacy("user_b")))).Code);
        Assert.Equal(DeploymentState.AwaitingApproval, (await Get(expiring)).State);

        fixture.Clock.Advance(Duration.FromHours(22));
        var expired = await Eventually(expiring, d => d.State == DeploymentState.Canceled);
        Assert.Contains(expired.Events, e => e is { Type: "canceled", Reason: "expired" });
    }
}

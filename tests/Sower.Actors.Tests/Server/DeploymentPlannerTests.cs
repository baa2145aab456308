using System.Collections.Immutable;
using System.Text.Json.Nodes;
using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;

namespace Sower.Actors.Tests.Server;

/// <summary>The pure creation, reconciliation and naming rules (REFERENCE §6.4, §6.7, §6.13; pitfalls 17, 18, 45).</summary>
public sealed class DeploymentPlannerTests
{
    private static readonly GardenId Garden = new("grdn_abcdefghijklmnopqrstuvwx");
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 29, 12, 0);

    private static SubscriptionRecord Sub(string name, string? schedule = null, string? tz = null, string policy = "null") => new(
        SubscriptionId.New(), Garden,
        SubscriptionJson.Parse(name, JsonNode.Parse($$"""
            {"seed_name":"web","seed_type":"nixos","schedule":{{(schedule is null ? "null" : "\"" + schedule + "\"")}},
             "timezone":{{(tz is null ? "null" : "\"" + tz + "\"")}},"policy":{{policy}}}
            """), "s", null).Value!, Now);

    private static SeedInfo Seed(string tag = "a") => new(SeedIdentity.For(SeedType.NixOS, "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-" + tag), "web",
        SeedType.NixOS, "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-" + tag, [], Now, Now, false, "ci");

    private static GardenState State(params SubscriptionRecord[] subs) => GardenState.Empty(Garden) with
    {
        Registration = new GardenRegistration("web", "h", Now, null),
        Subscriptions = subs.ToImmutableDictionary(s => s.Spec.Name, StringComparer.Ordinal),
    };

    private static GardenState With(GardenState state, DeploymentSummary d) => state with { Deployments = state.Deployments.SetItem(d.Sid.Value, d) };

    private static CreationRequest Request(SubscriptionRecord sub, Trigger trigger = Trigger.Manual, bool force = false) =>
        new(RequestId.New(), [sub.Sid], trigger, AuditReasons.ForGardenRequest(trigger) ?? AuditReason.RealtimeTriggered, Actor.FromLegacy("grdn"), force, null);

    private static DeploymentSummary Planned(GardenState state, SubscriptionRecord sub, SeedInfo seed, Trigger trigger = Trigger.Manual)
    {
        var outcome = DeploymentPlanner.Plan(state, Request(sub, trigger), new Dictionary<SubscriptionId, SeedInfo?> { [sub.Sid] = seed }, Now, DeploymentId.New());
        return Assert.IsType<CreationOutcome.Planned>(outcome).Deployment.ToSummary();
    }

    [Fact]
    public void A_stage_only_success_does_not_suppress_a_later_activation_but_an_activated_success_does()
    {
        var sub = Sub("system");
        var seed = Seed();
        var state = State(sub);
        var first = Planned(state, sub, seed);
        var stagedOnly = first with { State = DeploymentState.Completed, Result = DeploymentResult.Success, Executed = [ExecutedAction.Stage] };
        var latest = new Dictionary<SubscriptionId, SeedInfo?> { [sub.Sid] = seed };
        Assert.IsType<CreationOutcome.Planned>(DeploymentPlanner.Plan(With(state, stagedOnly), Request(sub), latest, Now, DeploymentId.New()));

        var activated = stagedOnly with { Executed = [ExecutedAction.Activate] };
        var duplicate = Assert.IsType<CreationOutcome.Duplicate>(DeploymentPlanner.Plan(With(state, activated), Request(sub), latest, Now, DeploymentId.New()));
        Assert.False(duplicate.RePush);
        Assert.IsType<CreationOutcome.Planned>(DeploymentPlanner.Plan(With(state, activated), Request(sub, force: true), latest, Now, DeploymentId.New()));
    }

    [Fact]
    public void A_seed_deployed_before_a_newer_one_is_planned_again_as_a_rollback_but_the_running_one_stays_a_duplicate()
    {
        var sub = Sub("system");
        var a = Seed("a");
        var b = Seed("b");
        var state = State(sub);
        var first = Planned(state, sub, a) with
        {
            State = DeploymentState.Completed,
            Result = DeploymentResult.Success,
            Executed = [ExecutedAction.Activate],
            DeployedAt = Now - Duration.FromMinutes(10),
        };
        state = With(state, first);
        var second = Planned(state, sub, b) with
        {
            State = DeploymentState.Completed,
            Result = DeploymentResult.Success,
            Executed = [ExecutedAction.Activate],
            DeployedAt = Now - Duration.FromMinutes(5),
        };
        state = With(state, second);

        Assert.Equal(second.Sid, DeploymentPlanner.RunningDeployment(state, sub.Sid)?.Sid);
        var rollback = Assert.IsType<CreationOutcome.Planned>(DeploymentPlanner.Plan(state, Request(sub),
            new Dictionary<SubscriptionId, SeedInfo?> { [sub.Sid] = a }, Now, DeploymentId.New()));
        Assert.Equal(a.Sid, Assert.Single(rollback.Deployment.Seeds).Seed.Sid);
        var same = Assert.IsType<CreationOutcome.Duplicate>(DeploymentPlanner.Plan(state, Request(sub),
            new Dictionary<SubscriptionId, SeedInfo?> { [sub.Sid] = b }, Now, DeploymentId.New()));
        Assert.Equal(second.Sid, same.Existing.Sid);
    }

    [Fact]
    public void Force_never_creates_a_second_unresolved_identical_deployment_it_re_pushes_the_existing_one()
    {
        var sub = Sub("system");
        var state = State(sub);
        var open = Planned(state, sub, Seed());
        var outcome = DeploymentPlanner.Plan(With(state, open), Request(sub, force: true), new Dictionary<SubscriptionId, SeedInfo?> { [sub.Sid] = Seed() }, Now,
            DeploymentId.New());
        var duplicate = Assert.IsType<CreationOutcome.Duplicate>(outcome);
        Assert.True(duplicate.RePush);
        Assert.Equal(open.Sid, duplicate.Existing.Sid);
    }

    [Fact]
    public void A_new_deployment_supersedes_older_dispatched_ones_it_covers_and_cancels_stale_ones_of_the_same_set()
    {
        var sub = Sub("system");
        var state = State(sub);
        var dispatched = Planned(state, sub, Seed("old"));
        var stale = Planned(state, sub, Seed("older")) with { State = DeploymentState.Stale };
        var acknowledged = Planned(state, sub, Seed("running")) with { State = DeploymentState.Acknowledged };
        state = With(With(With(state, dispatched), stale), acknowledged);
        var outcome = Assert.IsType<CreationOutcome.Planned>(DeploymentPlanner.Plan(state, Request(sub),
            new Dictionary<SubscriptionId, SeedInfo?> { [sub.Sid] = Seed("new") }, Now, DeploymentId.New()));
        Assert.Contains((dispatched.Sid, CancelReason.Superseded), outcome.Cancellations);
        Assert.Contains((stale.Sid, CancelReason.Stale), outcome.Cancellations);
        Assert.DoesNotContain(outcome.Cancellations, c => c.Sid == acknowledged.Sid);
    }

    [Fact]
    public void Denied_everywhere_is_policy_denied_no_seed_is_seeds_not_found_and_confirm_awaits_approval()
    {
        var manualOnly = Sub("m", policy: """{"m":{"actions":["activate"],"triggers":["manual"]}}""");
        var confirm = Sub("c", policy: """{"c":{"actions":["activate"],"confirm":true}}""");
        var state = State(manualOnly, confirm);
        var latest = new Dictionary<SubscriptionId, SeedInfo?> { [manualOnly.Sid] = Seed(), [confirm.Sid] = Seed("c") };
        Assert.Equal(DeploymentPlanner.PolicyDenied, Assert.IsType<CreationOutcome.Failed>(
            DeploymentPlanner.Plan(state, Request(manualOnly, Trigger.Scheduled), latest, Now, DeploymentId.New())).Code);
        Assert.Equal(DeploymentPlanner.SeedsNotFound, Assert.IsType<CreationOutcome.Failed>(
            DeploymentPlanner.Plan(state, Request(manualOnly), new Dictionary<SubscriptionId, SeedInfo?>(), Now, DeploymentId.New())).Code);
        var parked = Assert.IsType<CreationOutcome.Planned>(DeploymentPlanner.Plan(state, Request(confirm), latest, Now, DeploymentId.New()));
        Assert.Equal(DeploymentState.AwaitingApproval, parked.Deployment.State);
        Assert.Equal(["c"], parked.Deployment.ConfirmRules.ToArray());
    }

    [Fact]
    public void Overdue_uses_the_latest_fire_time_in_the_subscription_zone_across_a_dst_gap()
    {
        // 29 March 2026: Europe/Berlin skips 02:00–03:00. A 02:30 schedule fires at the first instant after the gap (01:00 UTC).
        var sub = Sub("system", "30 2 * * *", "Europe/Berlin");
        var state = State(sub);
        Assert.Single(DeploymentPlanner.OverdueSubscriptions(state, Now));

        var doneAfterFire = Planned(state, sub, Seed()) with
        {
            State = DeploymentState.Completed,
            Result = DeploymentResult.Success,
            DeployedAt = Instant.FromUtc(2026, 3, 29, 1, 0),
            Executed = [ExecutedAction.Activate],
        };
        Assert.Empty(DeploymentPlanner.OverdueSubscriptions(With(state, doneAfterFire), Now));
        var doneBefore = doneAfterFire with { DeployedAt = Instant.FromUtc(2026, 3, 29, 0, 59) };
        Assert.Single(DeploymentPlanner.OverdueSubscriptions(With(state, doneBefore), Now));
        var failed = doneAfterFire with { Result = DeploymentResult.Failure };
        Assert.Single(DeploymentPlanner.OverdueSubscriptions(With(state, failed), Now));
        Assert.Empty(DeploymentPlanner.OverdueSubscriptions(State(Sub("r", "@reboot")), Now));
    }

    [Fact]
    public void Replay_goes_oldest_dispatch_first_and_supersedes_only_when_a_newer_deployment_covers_it()
    {
        var a = Sub("a");
        var b = Sub("b");
        var state = State(a, b);
        var oldA = Planned(state, a, Seed("1")) with { CreatedAt = Now - Duration.FromHours(3), LastDispatchedAt = Now - Duration.FromHours(3) };
        var newA = Planned(state, a, Seed("2")) with { CreatedAt = Now - Duration.FromHours(1), LastDispatchedAt = Now - Duration.FromHours(1) };
        var onlyB = Planned(state, b, Seed("3")) with { CreatedAt = Now - Duration.FromHours(2), LastDispatchedAt = Now - Duration.FromHours(2) };
        var steps = DeploymentPlanner.Replay(With(With(With(state, newA), onlyB), oldA));
        Assert.Equal([oldA.Sid, onlyB.Sid, newA.Sid], steps.Select(s => s.Deployment.Sid));
        Assert.Equal([DeploymentPlanner.ReplayStep.Supersede, DeploymentPlanner.ReplayStep.Redispatch, DeploymentPlanner.ReplayStep.Redispatch],
            steps.Select(s => s.Step));
    }

    [Theory]
    [InlineData("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-web-01-24.05.20240101.abcdef", "web-01", "24.05.20240101.abcdef")]
    [InlineData("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-db-24.05", "db", "24.05")]
    [InlineData("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-home-manager-generation", "home-manager-generation", null)]
    public void Generation_names_take_the_version_as_the_last_dash_word(string artifact, string name, string? version) =>
        Assert.Equal((name, version), GenerationNaming.NameOf(artifact));

    [Fact]
    public void Seed_resubmission_keeps_recency_unless_promoted_and_only_adds_tags()
    {
        var seed = Seed();
        var state = SeedState.Empty.Apply(new SeedEvents.SeedRegistered(seed.Sid, seed with { Tags = [new Tag("a", "1")] }, true));
        var later = Now + Duration.FromHours(1);
        var events = state.Decide(new SeedCommands.SubmitSeed(seed.Sid, "renamed", SeedType.NixOS, seed.Artifact, [new Tag("a", "1"), new Tag("b", "2")], false, false, "ci"), later);
        var after = events.Aggregate(state, (s, e) => s.Apply(e));
        Assert.Equal(Now, after.Seed!.Recency);
        Assert.Equal("web", after.Seed.Name);
        Assert.Equal([new Tag("a", "1"), new Tag("b", "2")], after.Seed.Tags.ToArray());
        Assert.False(after.LastChangeFansOut);

        var promoted = state.Decide(new SeedCommands.SubmitSeed(seed.Sid, "renamed", SeedType.NixOS, seed.Artifact, [], true, true, "ops"), later)
            .Aggregate(state, (s, e) => s.Apply(e));
        Assert.Equal(later, promoted.Seed!.Recency);
        Assert.Equal("renamed", promoted.Seed.Name);
        Assert.Equal("web", promoted.PreviousName);
        Assert.True(promoted.LastChangeFansOut);
    }
}

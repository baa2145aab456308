using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;
using static Sower.Messages.Tests.TestData;

namespace Sower.Messages.Tests;

/// <summary>The garden's own verdict on a pushed seed, without actors: its subscription, the drift guard, its policy, the server's cap.</summary>
public sealed class SeedAdmissionTests
{
    private static readonly NodaTime.Instant Monday = Utc("2026-11-30T10:00:00Z");

    private static GardenSeedDeployment Pushed(PolicyAction? cap = null, string type = "nixos") =>
        new("sub_1", cap, new GardenSeed("seed_1", "host", type, "/nix/store/x", []));

    private static SubscriptionSpec Subscription(string policy, string? zone = null) =>
        new("system", "host", SeedType.NixOS, [], null, zone, Policy(policy));

    [Fact]
    public void A_seed_for_a_subscription_this_garden_does_not_have_is_skipped_and_says_which()
    {
        var admission = SeedAdmission.Decide(Pushed(), null, null, Trigger.Manual, false, Monday);
        Assert.Null(admission.Allowed);
        Assert.Equal("subscription sub_1 is not known locally; host skipped", admission.Skipped);
    }

    [Fact]
    public void A_seed_of_a_type_this_garden_cannot_read_is_skipped()
    {
        var admission = SeedAdmission.Decide(Pushed(type: "plan9"), Subscription("""[{"actions": ["activate"]}]"""), null, Trigger.Manual, false, Monday);
        Assert.Null(admission.Allowed);
        Assert.NotNull(admission.Skipped);
    }

    [Fact]
    public void The_drift_guard_holds_a_seed_back_even_when_the_policy_allows_it()
    {
        var admission = SeedAdmission.Decide(Pushed(), Subscription("""[{"actions": ["activate"]}]"""), "held: the profile changed by hand", Trigger.Manual, false, Monday);
        Assert.Null(admission.Allowed);
        Assert.True(admission.DriftHeld);
        Assert.Equal("held: the profile changed by hand", admission.Skipped);
    }

    [Fact]
    public void A_trigger_the_policy_does_not_allow_is_skipped_with_the_trigger_and_the_verdict()
    {
        var admission = SeedAdmission.Decide(Pushed(), Subscription("""[{"actions": ["activate"], "triggers": ["scheduled"]}]"""), null, Trigger.Manual, false, Monday);
        Assert.Null(admission.Allowed);
        Assert.False(admission.DriftHeld);
        Assert.Equal("host (nixos) not permitted by local policy (trigger manual: deny)", admission.Skipped);
    }

    [Fact]
    public void A_policy_that_asks_for_confirmation_runs_only_an_approved_deployment()
    {
        var sub = Subscription("""[{"actions": ["restart"], "confirm": true}]""");
        Assert.Equal("host (nixos) not permitted by local policy (trigger manual: confirm)",
            SeedAdmission.Decide(Pushed(), sub, null, Trigger.Manual, approved: false, Monday).Skipped);
        Assert.Equal(PolicyAction.Restart, SeedAdmission.Decide(Pushed(), sub, null, Trigger.Manual, approved: true, Monday).Allowed);
    }

    [Fact]
    public void The_action_is_never_more_than_either_the_local_policy_or_the_server_allows()
    {
        var activate = Subscription("""[{"actions": ["activate"]}]""");
        Assert.Equal(PolicyAction.Stage, SeedAdmission.Decide(Pushed(PolicyAction.Stage), activate, null, Trigger.Manual, false, Monday).Allowed);
        Assert.Equal(PolicyAction.Activate, SeedAdmission.Decide(Pushed(PolicyAction.Restart), activate, null, Trigger.Manual, false, Monday).Allowed);
        Assert.Equal(PolicyAction.Activate, SeedAdmission.Decide(Pushed(), activate, null, Trigger.Manual, false, Monday).Allowed);
    }

    [Fact]
    public void A_window_is_read_in_the_subscriptions_time_zone()
    {
        const string windowed = """[{"actions": ["activate"], "window": {"time_start": "04:00", "time_end": "06:00"}}]""";
        // 03:30 UTC is 04:30 in Berlin (winter): inside the window there, outside it in UTC.
        var at = Utc("2026-11-30T03:30:00Z");
        Assert.Equal(PolicyAction.Activate, SeedAdmission.Decide(Pushed(), Subscription(windowed, "Europe/Berlin"), null, Trigger.Manual, false, at).Allowed);
        Assert.Null(SeedAdmission.Decide(Pushed(), Subscription(windowed), null, Trigger.Manual, false, at).Allowed);
        // A zone this host does not know falls back to UTC.
        Assert.Null(SeedAdmission.Decide(Pushed(), Subscription(windowed, "Mars/Olympus"), null, Trigger.Manual, false, at).Allowed);
    }
}

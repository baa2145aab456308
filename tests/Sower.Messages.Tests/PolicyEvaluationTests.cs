using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Tests.TestData;

namespace Sower.Messages.Tests;

public class PolicyEvaluationTests
{
    // REFERENCE §4.3 illustration. 2026-11-29 is a Sunday, 2026-11-30 a Monday.
    private static readonly Policy Illustration = Policy("""
        {
          "A": {"actions": ["activate"], "triggers": ["scheduled"]},
          "B": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00"}}
        }
        """);

    [Fact]
    public void Illustration_scheduled_on_sunday_in_the_window_needs_confirmation_for_restart() =>
        Assert.Equal(PolicyDecision.Confirm(PolicyAction.Restart, "B"),
            PolicyEvaluator.Evaluate(Illustration, Trigger.Scheduled, Utc("2026-11-29T04:30:00Z"), SeedType.NixOS));

    [Fact]
    public void Illustration_scheduled_on_monday_activates() =>
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "A"),
            PolicyEvaluator.Evaluate(Illustration, Trigger.Scheduled, Utc("2026-11-30T04:30:00Z"), SeedType.NixOS));

    [Theory]
    [InlineData("2026-11-29T04:30:00Z")]
    [InlineData("2026-11-30T04:30:00Z")]
    [InlineData("2026-12-02T12:00:00Z")]
    public void Illustration_manual_is_denied_at_any_time(string at) =>
        Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(Illustration, Trigger.Manual, Utc(at), SeedType.NixOS));

    [Fact]
    public void Illustration_for_home_manager_never_restarts_and_activates_instead() =>
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "A"),
            PolicyEvaluator.Evaluate(Illustration, Trigger.Scheduled, Utc("2026-11-29T04:30:00Z"), SeedType.HomeManager));

    [Fact]
    public void A_confirm_required_restart_hides_an_unconditional_activate()
    {
        var policy = Policy("""
            {"reboot": {"actions": ["restart"], "confirm": true},
             "switch": {"actions": ["activate"]}}
            """);
        var decision = PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-01-01T00:00:00Z"), SeedType.NixOS);
        Assert.Equal(PolicyDecision.Confirm(PolicyAction.Restart, "reboot"), decision);
    }

    [Fact]
    public void Confirm_wins_if_any_matching_rule_at_the_deciding_level_asks_for_it()
    {
        var policy = Policy("""
            [{"actions": ["activate"]}, {"actions": ["activate"], "confirm": true}, {"actions": ["stage"]}]
            """);
        Assert.Equal(PolicyDecision.Confirm(PolicyAction.Activate, "rule-1", "rule-2"),
            PolicyEvaluator.Evaluate(policy, Trigger.Realtime, Utc("2026-01-01T00:00:00Z"), SeedType.Service));
    }

    [Fact]
    public void Confirm_on_a_lower_level_does_not_matter_when_a_higher_level_decides()
    {
        var policy = Policy("""[{"actions": ["activate"]}, {"actions": ["stage"], "confirm": true}]""");
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "rule-1"),
            PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-01-01T00:00:00Z"), SeedType.NixOS));
    }

    [Fact]
    public void Confirm_on_a_non_matching_rule_at_the_same_level_does_not_matter()
    {
        var policy = Policy("""
            {"plain": {"actions": ["activate"], "triggers": ["manual"]},
             "careful": {"actions": ["activate"], "triggers": ["scheduled"], "confirm": true}}
            """);
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "plain"),
            PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-01-01T00:00:00Z"), SeedType.NixOS));
    }

    [Fact]
    public void The_default_policy_activates_for_manual_scheduled_poll_on_connect_and_recall_but_not_realtime()
    {
        var at = Utc("2026-06-01T12:00:00Z");
        foreach (var trigger in new[] { Trigger.Manual, Trigger.Scheduled, Trigger.PollOnConnect, Trigger.Recall })
        {
            Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "default"), PolicyEvaluator.Evaluate(Domain.Policy.Default, trigger, at, SeedType.NixOS));
        }
        Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(Domain.Policy.Default, Trigger.Realtime, at, SeedType.NixOS));
    }

    [Fact]
    public void A_rule_can_name_the_recall_trigger_and_a_forced_recall_ignores_its_windows_but_not_its_confirmation()
    {
        var policy = Policy("""
            {"recall-at-night": {"actions": ["activate"], "triggers": ["recall"], "window": {"time_start": "02:00", "time_end": "04:00"}},
             "careful":         {"actions": ["stage"], "triggers": ["recall"], "confirm": true}}
            """);
        var noon = Utc("2026-06-01T12:00:00Z");
        Assert.Equal(PolicyDecision.Confirm(PolicyAction.Stage, "careful"), PolicyEvaluator.Evaluate(policy, Trigger.Recall, noon, SeedType.NixOS));
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "recall-at-night"),
            PolicyEvaluator.Evaluate(policy, Trigger.Recall, Utc("2026-06-01T03:00:00Z"), SeedType.NixOS));
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "recall-at-night"),
            PolicyEvaluator.Evaluate(PolicyEvaluator.WithoutWindows(policy), Trigger.Recall, noon, SeedType.NixOS));
        Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(policy, Trigger.Manual, noon, SeedType.NixOS));
    }

    [Fact]
    public void The_default_policy_denies_a_gcroot_seed_which_can_only_stage() =>
        Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(Domain.Policy.Default, Trigger.Manual, Utc("2026-06-01T12:00:00Z"), SeedType.GcRoot));

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    public void Null_empty_list_and_empty_map_are_the_default_policy(string json)
    {
        var policy = Policy(json);
        Assert.True(policy.IsDefault);
        Assert.Equal(Domain.Policy.Default, policy);
    }

    [Fact]
    public void Any_rule_replaces_the_default_entirely()
    {
        var policy = Policy("""{"stage-only": {"actions": ["stage"], "triggers": ["realtime"]}}""");
        Assert.False(policy.IsDefault);
        Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));
    }

    [Fact]
    public void Absent_triggers_apply_to_every_trigger_and_an_empty_list_to_none()
    {
        var any = Policy("""{"r": {"actions": ["stage"]}}""");
        var none = Policy("""{"r": {"actions": ["stage"], "triggers": []}}""");
        foreach (var trigger in Triggers.All)
        {
            Assert.Equal(DecisionKind.Allow, PolicyEvaluator.Evaluate(any, trigger, Utc("2026-06-01T12:00:00Z"), SeedType.GcRoot).Kind);
            Assert.Equal(DecisionKind.Deny, PolicyEvaluator.Evaluate(none, trigger, Utc("2026-06-01T12:00:00Z"), SeedType.GcRoot).Kind);
        }
    }

    [Theory]
    [InlineData(SeedType.NixOS, PolicyAction.Restart)]
    [InlineData(SeedType.NixDarwin, PolicyAction.Restart)]
    [InlineData(SeedType.HomeManager, PolicyAction.Activate)]
    [InlineData(SeedType.Service, PolicyAction.Activate)]
    [InlineData(SeedType.GcRoot, PolicyAction.Stage)]
    public void The_walk_is_limited_to_the_actions_the_seed_type_supports(SeedType type, PolicyAction expected)
    {
        var policy = Policy("""{"all": {"actions": ["stage", "restart", "activate"]}}""");
        Assert.Equal(expected, PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T12:00:00Z"), type).Action);
        Assert.Equal(expected, PolicyEvaluator.HighestPermittedAction(policy, Utc("2026-06-01T12:00:00Z"), type));
    }

    [Fact]
    public void An_unknown_seed_type_is_always_denied()
    {
        var policy = Policy("""{"all": {"actions": ["stage", "restart", "activate"]}}""");
        Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T12:00:00Z"), (SeedType)42));
        Assert.Null(PolicyEvaluator.HighestPermittedAction(policy, Utc("2026-06-01T12:00:00Z"), (SeedType)42));
    }

    [Fact]
    public void Rules_granting_only_unsupported_actions_are_ignored()
    {
        var policy = Policy("""{"reboot": {"actions": ["restart"]}}""");
        Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T12:00:00Z"), SeedType.HomeManager));
        Assert.Null(PolicyEvaluator.HighestPermittedAction(policy, Utc("2026-06-01T12:00:00Z"), SeedType.HomeManager));
    }

    [Fact]
    public void Result_does_not_depend_on_rule_order_or_names()
    {
        var a = Policy("""[{"actions":["stage"]},{"actions":["activate"],"triggers":["manual"],"confirm":true}]""");
        var b = Policy("""{"z":{"actions":["activate"],"triggers":["manual"],"confirm":true},"y":{"actions":["stage"]}}""");
        foreach (var trigger in Triggers.All)
        {
            Assert.Equal(PolicyEvaluator.Evaluate(a, trigger, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS).Verdict,
                         PolicyEvaluator.Evaluate(b, trigger, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS).Verdict);
        }
    }

    [Fact]
    public void Decide_agrees_with_evaluate()
    {
        foreach (var trigger in Triggers.All)
        {
            foreach (var at in new[] { "2026-11-29T04:30:00Z", "2026-11-30T04:30:00Z", "2026-11-29T03:59:59Z" })
            {
                Assert.Equal(PolicyEvaluator.Evaluate(Illustration, trigger, Utc(at), SeedType.NixOS).Verdict,
                             PolicyEvaluator.Decide(Illustration, trigger, Utc(at), SeedType.NixOS));
            }
        }
    }

    [Fact]
    public void A_policy_with_more_rules_than_the_fast_path_holds_evaluates_the_same()
    {
        var rules = Enumerable.Range(0, 70)
            .Select(i => new PolicyRule($"r{i}", [PolicyAction.Stage], [Trigger.Manual], new PolicyWindow(new LocalTime(i % 24, 0), new LocalTime(i % 24, 30))))
            .Append(new PolicyRule("late", [PolicyAction.Activate], [Trigger.Manual], new PolicyWindow(new LocalTime(10, 0), new LocalTime(10, 10)), Confirm: true))
            .ToArray();
        var policy = new Policy([.. rules]);
        Assert.Equal(PolicyDecision.Confirm(PolicyAction.Activate, "late"), PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T10:05:00Z"), SeedType.NixOS));
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Stage, "r10", "r34", "r58"), PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T10:20:00Z"), SeedType.NixOS));
        Assert.Equal(PolicyVerdict.Deny, PolicyEvaluator.Decide(policy, Trigger.Scheduled, Utc("2026-06-01T10:20:00Z"), SeedType.NixOS));
    }

    [Fact]
    public void Highest_permitted_action_ignores_triggers_and_confirm()
    {
        var policy = Policy("""
            {"reboot": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                        "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00"}},
             "manual": {"actions": ["activate"], "triggers": ["manual"]},
             "never": {"actions": ["stage"], "triggers": []}}
            """);
        Assert.Equal(PolicyAction.Restart, PolicyEvaluator.HighestPermittedAction(policy, Utc("2026-11-29T05:00:00Z"), SeedType.NixOS));
        Assert.Equal(PolicyAction.Activate, PolicyEvaluator.HighestPermittedAction(policy, Utc("2026-11-30T05:00:00Z"), SeedType.NixOS));
    }

    [Fact]
    public void Highest_permitted_action_under_the_default_policy_is_activate() =>
        Assert.Equal(PolicyAction.Activate, PolicyEvaluator.HighestPermittedAction(Domain.Policy.Default, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));

    [Fact]
    public void Highest_permitted_action_is_none_when_every_window_is_closed()
    {
        var policy = Policy("""{"night": {"actions": ["activate"], "window": {"time_start": "01:00", "time_end": "02:00"}}}""");
        Assert.Null(PolicyEvaluator.HighestPermittedAction(policy, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));
    }

    [Fact]
    public void Realtime_is_enabled_by_a_rule_without_triggers_or_listing_realtime_regardless_of_windows()
    {
        Assert.False(PolicyEvaluator.HasRealtimeTrigger(Domain.Policy.Default));
        Assert.False(PolicyEvaluator.HasRealtimeTrigger(Policy("{}")));
        Assert.False(PolicyEvaluator.HasRealtimeTrigger(Policy("[]")));
        Assert.False(PolicyEvaluator.HasRealtimeTrigger(Policy("""{"r": {"actions": ["stage"], "triggers": []}}""")));
        Assert.False(PolicyEvaluator.HasRealtimeTrigger(Policy("""{"r": {"actions": ["stage"], "triggers": ["manual", "scheduled", "poll_on_connect"]}}""")));
        Assert.True(PolicyEvaluator.HasRealtimeTrigger(Policy("""{"r": {"actions": ["stage"]}}""")));
        Assert.True(PolicyEvaluator.HasRealtimeTrigger(Policy("""{"r": {"actions": ["stage"], "triggers": ["realtime"], "window": {"time_start": "00:00", "time_end": "00:00", "days": []}}}""")));
    }

    [Fact]
    public void Activation_modes_follow_the_action()
    {
        Assert.Equal("switch", ActivationModes.NixosMode(PolicyAction.Activate));
        Assert.Equal("boot", ActivationModes.NixosMode(PolicyAction.Restart));
        Assert.Null(ActivationModes.NixosMode(PolicyAction.Stage));
        Assert.False(ActivationModes.CanExecute(SeedType.NixDarwin, PolicyAction.Activate));
        Assert.True(ActivationModes.CanExecute(SeedType.NixDarwin, PolicyAction.Stage));
        Assert.False(ActivationModes.CanExecute(SeedType.HomeManager, PolicyAction.Restart));
    }

    [Fact]
    public void A_window_with_an_unknown_zone_never_matches_instead_of_throwing()
    {
        var rule = new PolicyRule("odd", [PolicyAction.Activate], null, new PolicyWindow(LocalTime.Midnight, new LocalTime(23, 59), null, "Mars/Olympus_Mons"));
        var policy = new Policy([rule]);
        Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));
        Assert.Null(PolicyEvaluator.HighestPermittedAction(policy, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));
    }

    [Fact]
    public void A_policy_built_from_no_rules_is_the_default()
    {
        Assert.True(new Policy([]).IsDefault);
        Assert.True(new Policy(default).IsDefault);
    }

    [Fact]
    public void Records_compare_by_content_and_with_expressions_refresh_derived_state()
    {
        var a = Policy("""{"r": {"actions": ["activate"], "triggers": ["manual"], "window": {"time_start": "01:00", "time_end": "02:00", "days": ["mon"], "tz": "Europe/Berlin"}}}""");
        var b = Policy("""{"r": {"actions": ["activate"], "triggers": ["manual"], "window": {"time_start": "01:00", "time_end": "02:00", "days": ["mon"], "tz": "Europe/Berlin"}}}""");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());

        var rule = a.Rules[0];
        var renamed = rule with { Name = "s", Confirm = true };
        Assert.Equal(PolicyDecision.Confirm(PolicyAction.Activate, "s"), PolicyEvaluator.Evaluate(new Policy([renamed with { Window = null }]), Trigger.Manual, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));
        var allTriggers = rule with { Triggers = null, Window = null };
        Assert.True(PolicyEvaluator.HasRealtimeTrigger(new Policy([allTriggers])));
        var window = rule.Window! with { Tz = "Asia/Tokyo", Days = null };
        Assert.Equal("Asia/Tokyo", window.Zone!.Id);
        // 01:30 in Tokyo is 16:30 UTC the day before.
        Assert.True(PolicyEvaluator.WindowMatches(window, Utc("2026-06-01T16:30:00Z")));
    }
}

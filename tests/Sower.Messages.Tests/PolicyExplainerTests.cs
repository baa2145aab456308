using Sower.Messages.Domain;
using static Sower.Messages.Tests.TestData;

namespace Sower.Messages.Tests;

public class PolicyExplainerTests
{
    private static readonly Policy Weekly = Policy("""
        {"nightly": {"actions": ["activate"], "triggers": ["scheduled"], "window": {"time_start": "04:00", "time_end": "06:00"}},
         "weekly-reboot": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                           "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00"}}}
        """);

    [Fact]
    public void Next_change_is_the_window_start_when_closed()
    {
        var explanation = PolicyExplainer.Explain(Weekly, Trigger.Scheduled, SeedType.NixOS, null, Utc("2026-11-28T12:00:00Z"));
        Assert.Equal(PolicyDecision.Deny, explanation.Decision);
        Assert.Equal(Utc("2026-11-29T04:00:00Z"), explanation.NextChange);
        Assert.Empty(explanation.MatchedRules);
    }

    [Fact]
    public void Next_change_is_one_tick_after_an_inclusive_end()
    {
        var explanation = PolicyExplainer.Explain(Weekly, Trigger.Scheduled, SeedType.NixOS, null, Utc("2026-11-30T05:00:00Z"));
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "nightly"), explanation.Decision);
        Assert.Equal(Utc("2026-11-30T06:00:00.0000001Z"), explanation.NextChange);
    }

    [Fact]
    public void A_change_exactly_at_the_evaluated_instant_is_not_the_next_change()
    {
        var at = Utc("2026-11-29T04:00:00Z");
        var explanation = PolicyExplainer.Explain(Weekly, Trigger.Scheduled, SeedType.NixOS, null, at);
        Assert.Equal(PolicyDecision.Confirm(PolicyAction.Restart, "weekly-reboot"), explanation.Decision);
        Assert.Equal(Utc("2026-11-29T06:00:00.0000001Z"), explanation.NextChange);
        Assert.Equal(Utc("2026-11-29T04:00:00Z"), PolicyExplainer.NextChange(Weekly, Trigger.Scheduled, SeedType.NixOS, null, at - NodaTime.Duration.FromTicks(1)));
    }

    [Fact]
    public void When_will_this_host_next_be_allowed_to_restart()
    {
        // Monday: the next restart window opens on Sunday 04:00 Berlin time.
        var explanation = PolicyExplainer.Explain(Weekly, null, SeedType.NixOS, Zone("Europe/Berlin"), Utc("2026-11-23T12:00:00Z"));
        Assert.Null(explanation.Decision);
        Assert.Null(explanation.Highest);
        var next = explanation.NextChange;
        Assert.Equal(Utc("2026-11-24T03:00:00Z"), next); // the nightly window first: highest becomes activate
        var later = PolicyExplainer.Explain(Weekly, null, SeedType.NixOS, Zone("Europe/Berlin"), Utc("2026-11-28T12:00:00Z"));
        Assert.Equal(Local("Europe/Berlin", "2026-11-29T04:00:00"), later.NextChange);
        Assert.Equal(PolicyAction.Restart, PolicyEvaluator.HighestPermittedAction(Weekly, later.NextChange!.Value, SeedType.NixOS, Zone("Europe/Berlin")));
    }

    [Fact]
    public void No_change_within_eight_days_gives_null()
    {
        Assert.Null(PolicyExplainer.Explain(Domain.Policy.Default, Trigger.Manual, SeedType.NixOS, null, Utc("2026-11-28T12:00:00Z")).NextChange);
        var monthly = Policy("""{"m": {"actions": ["activate"], "window": {"time_start": "04:00", "time_end": "05:00", "days": []}}}""");
        Assert.Null(PolicyExplainer.Explain(monthly, Trigger.Manual, SeedType.NixOS, null, Utc("2026-11-28T12:00:00Z")).NextChange);
    }

    [Fact]
    public void Changes_a_week_away_and_one_tick_away_are_both_found()
    {
        var sunday = Policy("""{"s": {"actions": ["activate"], "window": {"time_start": "04:00", "time_end": "05:00", "days": ["sun"]}}}""");
        var justInside = Utc("2026-11-21T04:00:00Z"); // Saturday; Sunday 04:00 a day later
        Assert.Equal(Utc("2026-11-22T04:00:00Z"), PolicyExplainer.NextChange(sunday, Trigger.Manual, SeedType.NixOS, null, justInside));
        // Sunday 05:00:00.0000001: closes; reopens exactly 7 days minus 1h minus a tick later.
        var afterClose = Utc("2026-11-22T05:00:00.0000001Z");
        Assert.Equal(Utc("2026-11-29T04:00:00Z"), PolicyExplainer.NextChange(sunday, Trigger.Manual, SeedType.NixOS, null, afterClose));
        // A one-instant window: it opens at 04:00:00 and closes one tick later; a week on it opens again.
        var instant = Policy("""{"s": {"actions": ["activate"], "window": {"time_start": "04:00", "time_end": "04:00", "days": ["sun"]}}}""");
        Assert.Equal(Utc("2026-11-22T04:00:00Z"), PolicyExplainer.NextChange(instant, Trigger.Manual, SeedType.NixOS, null, Utc("2026-11-21T04:00:00Z")));
        Assert.Equal(Utc("2026-11-22T04:00:00.0000001Z"), PolicyExplainer.NextChange(instant, Trigger.Manual, SeedType.NixOS, null, Utc("2026-11-22T04:00:00Z")));
        Assert.Equal(Utc("2026-11-29T04:00:00Z"), PolicyExplainer.NextChange(instant, Trigger.Manual, SeedType.NixOS, null, Utc("2026-11-22T04:00:00.0000001Z")));
    }

    [Fact]
    public void Explanation_text_names_rules_decision_and_next_change()
    {
        var text = PolicyExplainer.Explain(Weekly, Trigger.Scheduled, SeedType.NixOS, Zone("Europe/Berlin"), Utc("2026-11-29T03:30:00Z")).Text;
        Assert.Contains("weekly-reboot", text);
        Assert.Contains("Decision: confirm restart (matched: weekly-reboot)", text);
        Assert.Contains("Next change: 2026-11-29T05:00:00.0000001Z", text);
        Assert.Contains("Europe/Berlin", text);
    }

    [Fact]
    public void Matched_rules_without_a_trigger_are_those_granting_the_highest_action()
    {
        var explanation = PolicyExplainer.Explain(Weekly, null, SeedType.NixOS, null, Utc("2026-11-29T04:30:00Z"));
        Assert.Equal(PolicyAction.Restart, explanation.Highest);
        Assert.Equal(["weekly-reboot"], explanation.MatchedRules.ToArray());
        Assert.False(explanation.Realtime);
    }
}

using System.Text.Json.Nodes;
using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Tests.TestData;

namespace Sower.Messages.Tests;

/// <summary>Corners the reference does not spell out.</summary>
public class PolicyEdgeCaseTests
{
    [Fact]
    public void Highest_permitted_action_counts_a_rule_even_with_an_empty_trigger_list()
    {
        var policy = Policy("""{"parked": {"actions": ["restart"], "triggers": []}}""");
        Assert.Equal(PolicyAction.Restart, PolicyEvaluator.HighestPermittedAction(policy, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));
        foreach (var trigger in Triggers.All)
        {
            Assert.Equal(PolicyDecision.Deny, PolicyEvaluator.Evaluate(policy, trigger, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));
        }
    }

    [Fact]
    public void Repeated_actions_and_triggers_are_harmless()
    {
        var policy = Policy("""{"r": {"actions": ["stage", "stage", "activate"], "triggers": ["manual", "manual"]}}""");
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "r"), PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T12:00:00Z"), SeedType.NixOS));
        Assert.Equal(policy, PolicyJson.Parse(PolicyJson.ToJson(policy)).Value);
    }

    [Fact]
    public void An_explicit_utc_window_zone_overrides_the_subscription_zone()
    {
        var policy = Policy("""{"r": {"actions": ["activate"], "window": {"time_start": "04:00", "time_end": "05:00", "tz": "Etc/UTC"}}}""");
        Assert.Equal(DecisionKind.Allow, PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T04:30:00Z"), SeedType.NixOS, Zone("Asia/Tokyo")).Kind);
        Assert.Equal(DecisionKind.Deny, PolicyEvaluator.Evaluate(policy, Trigger.Manual, Local("Asia/Tokyo", "2026-06-01T04:30:00"), SeedType.NixOS, Zone("Asia/Tokyo")).Kind);
    }

    [Fact]
    public void Windows_in_different_zones_are_each_judged_in_their_own_zone()
    {
        var policy = Policy("""
            {"tokyo": {"actions": ["stage"], "window": {"time_start": "09:00", "time_end": "10:00", "tz": "Asia/Tokyo"}},
             "local": {"actions": ["activate"], "window": {"time_start": "09:00", "time_end": "10:00"}}}
            """);
        var berlin = Zone("Europe/Berlin");
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "local"), PolicyEvaluator.Evaluate(policy, Trigger.Manual, Local("Europe/Berlin", "2026-06-01T09:30:00"), SeedType.NixOS, berlin));
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Stage, "tokyo"), PolicyEvaluator.Evaluate(policy, Trigger.Manual, Local("Asia/Tokyo", "2026-06-01T09:30:00"), SeedType.NixOS, berlin));
    }

    [Theory]
    [InlineData("2026-11-30T00:00:00", true)]
    [InlineData("2026-11-30T00:00:00.0000001", false)]
    [InlineData("2026-11-29T00:00:00", false)]
    public void A_midnight_instant_window_is_open_for_one_tick_on_its_day(string local, bool open)
    {
        var window = new PolicyWindow(LocalTime.Midnight, LocalTime.Midnight, [IsoDayOfWeek.Monday], null);
        Assert.Equal(open, PolicyEvaluator.WindowMatches(window, NodaTime.Text.LocalDateTimePattern.ExtendedIso.Parse(local).Value));
    }

    [Theory]
    [InlineData("2026-11-28T23:59:00", true)]   // Saturday 23:59: opening day
    [InlineData("2026-11-29T00:00:00", true)]   // Sunday 00:00: the night that opened on Saturday
    [InlineData("2026-11-29T00:00:00.0000001", false)]
    [InlineData("2026-11-28T23:58:59.9999999", false)]
    [InlineData("2026-11-28T00:00:00", false)]  // Saturday 00:00 belongs to Friday night
    public void The_shortest_overnight_window_spans_midnight(string local, bool open)
    {
        var window = new PolicyWindow(new LocalTime(23, 59), LocalTime.Midnight, [IsoDayOfWeek.Saturday], null);
        Assert.Equal(open, PolicyEvaluator.WindowMatches(window, NodaTime.Text.LocalDateTimePattern.ExtendedIso.Parse(local).Value));
    }

    [Fact]
    public void Rule_names_with_odd_characters_appear_verbatim_in_paths_and_results()
    {
        var parsed = PolicyJson.Parse(JsonNode.Parse("""{"night shift.v2": {"actions": ["nap"]}}"""));
        Assert.Equal("policy.night shift.v2.actions[0]: unknown action \"nap\", expected one of stage, activate, restart", Assert.Single(parsed.Problems).ToString());
        var ok = Policy("""{"": {"actions": ["stage"]}, "ünï": {"actions": ["stage"]}}""");
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Stage, "", "ünï"), PolicyEvaluator.Evaluate(ok, Trigger.Manual, Utc("2026-06-01T12:00:00Z"), SeedType.GcRoot));
    }

    [Fact]
    public void A_policy_with_many_rules_parses_and_evaluates()
    {
        var map = new JsonObject();
        for (var i = 0; i < 100; i++)
        {
            map[$"r{i:000}"] = new JsonObject
            {
                ["actions"] = new JsonArray("stage"),
                ["window"] = new JsonObject { ["time_start"] = $"{i % 24:00}:00", ["time_end"] = $"{i % 24:00}:59" },
            };
        }
        map["restart"] = new JsonObject { ["actions"] = new JsonArray("restart"), ["triggers"] = new JsonArray("manual"), ["confirm"] = true };
        var policy = PolicyJson.Parse(map).Value!;
        Assert.Equal(101, policy.Rules.Length);
        Assert.Equal(PolicyDecision.Confirm(PolicyAction.Restart, "restart"), PolicyEvaluator.Evaluate(policy, Trigger.Manual, Utc("2026-06-01T05:30:00Z"), SeedType.NixOS));
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Stage, "r005", "r029", "r053", "r077"), PolicyEvaluator.Evaluate(policy, Trigger.Scheduled, Utc("2026-06-01T05:30:00Z"), SeedType.NixOS));
        Assert.Equal(new PolicyVerdict(DecisionKind.Allow, PolicyAction.Stage), PolicyEvaluator.Decide(policy, Trigger.Scheduled, Utc("2026-06-01T05:30:00Z"), SeedType.Service));
    }

    [Fact]
    public void The_default_policy_is_explained_as_such()
    {
        var explanation = PolicyExplainer.Explain(Domain.Policy.Default, Trigger.Manual, SeedType.NixOS, null, Utc("2026-06-01T12:00:00Z"));
        Assert.Contains("the default policy applies", explanation.Text);
        Assert.Contains("Next change: none within 8 days", explanation.Text);
        Assert.Equal(PolicyDecision.Allow(PolicyAction.Activate, "default"), explanation.Decision);
    }

    [Fact]
    public void Explanations_say_why_a_rule_does_not_apply()
    {
        var policy = Policy("""
            {"wrong-trigger": {"actions": ["activate"], "triggers": ["realtime"]},
             "closed": {"actions": ["activate"], "window": {"time_start": "01:00", "time_end": "02:00"}},
             "reboot": {"actions": ["restart"]}}
            """);
        var text = PolicyExplainer.Explain(policy, Trigger.Manual, SeedType.HomeManager, null, Utc("2026-06-01T12:00:00Z")).Text;
        Assert.Contains("wrong-trigger: activate for [realtime] -> does not apply now (not for trigger manual)", text);
        Assert.Contains("closed: activate for any trigger, window 01:00-02:00 -> does not apply now (window closed)", text);
        Assert.Contains("reboot: restart for any trigger -> applies now (ignored for this seed type: restart)", text);
        Assert.Contains("Decision: deny", text);
    }

    [Fact]
    public void Trigger_for_reason_follows_the_audit_mapping()
    {
        Assert.Equal(Trigger.Manual, AuditReason.UserRetry.ToTrigger());
        Assert.Equal(Trigger.Manual, AuditReason.AdminTriggered.ToTrigger());
        Assert.Equal(Trigger.Scheduled, AuditReason.ScheduleTriggered.ToTrigger());
        Assert.Equal(Trigger.PollOnConnect, AuditReason.PollOnConnect.ToTrigger());
        Assert.Equal(Trigger.Realtime, AuditReason.RealtimeTriggered.ToTrigger());
    }
}

public class CronEdgeCaseTests
{
    [Theory]
    [InlineData("30  4 * * *")]
    [InlineData(" 30 4 * * * ")]
    [InlineData("30\t4 * * *")]
    public void Extra_whitespace_is_tolerated(string expression)
    {
        Assert.True(CronSchedule.TryParse(expression, out var cron, out var error), error);
        Assert.Equal(Utc("2026-06-01T04:30:00Z"), cron!.NextAfter(Utc("2026-06-01T00:00:00Z"), Zones.Utc));
        Assert.Equal(expression, cron.Expression);
    }

    [Fact]
    public void Latest_fire_in_a_gap_is_the_end_of_the_gap()
    {
        var lordHowe = Zone("Australia/Lord_Howe");
        var cron = CronSchedule.Parse("15 2 * * *");
        Assert.Equal(Utc("2026-10-03T15:30:00Z"), cron.LatestAtOrBefore(Utc("2026-10-03T20:00:00Z"), lordHowe));
        Assert.Equal(Local("Australia/Lord_Howe", "2026-10-03T02:15:00"), cron.LatestAtOrBefore(Utc("2026-10-03T15:29:59Z"), lordHowe));
    }

    [Fact]
    public void Between_lists_every_fire_in_a_range()
    {
        var fires = CronSchedule.Parse("0 */6 * * *").Between(Utc("2026-06-01T00:00:00Z"), Utc("2026-06-02T00:00:00Z"), Zones.Utc).ToArray();
        Assert.Equal([Utc("2026-06-01T06:00:00Z"), Utc("2026-06-01T12:00:00Z"), Utc("2026-06-01T18:00:00Z"), Utc("2026-06-02T00:00:00Z")], fires);
    }

    [Fact]
    public void Parse_throws_an_argument_exception_with_the_message()
    {
        var e = Assert.Throws<ArgumentException>(() => CronSchedule.Parse("nope"));
        Assert.StartsWith("invalid cron expression \"nope\"", e.Message);
    }

    [Fact]
    public void Zones_resolve_iana_ids_only()
    {
        Assert.True(Zones.TryGet("Europe/Berlin", out var berlin));
        Assert.Equal("Europe/Berlin", berlin!.Id);
        Assert.False(Zones.TryGet("Berlin", out _));
        Assert.False(Zones.TryGet(null, out _));
        Assert.Equal("Etc/UTC", Zones.Utc.Id);
    }
}

public class ReadableTextTests
{
    [Fact]
    public void Policies_rules_windows_and_subscriptions_print_readably_for_logs()
    {
        var policy = TestData.Policy("""{"night": {"actions": ["restart"], "confirm": true, "window": {"days": ["sat"], "time_start": "23:00", "time_end": "01:30", "tz": "America/New_York"}}}""");
        Assert.Equal("""{"night":{"actions":["restart"],"window":{"time_start":"23:00","time_end":"01:30","days":["sat"],"tz":"America/New_York"},"confirm":true}}""", policy.ToString());
        Assert.Equal("23:00-01:30 on [sat] in America/New_York", policy.Rules[0].Window!.ToString());
        Assert.StartsWith("night: {\"actions\":[\"restart\"]", policy.Rules[0].ToString());
        Assert.Equal("{}", Domain.Policy.Default.ToString());
        Assert.Equal("Confirm(restart) [night]", PolicyDecision.Confirm(PolicyAction.Restart, "night").ToString());
        Assert.Equal("Deny", PolicyDecision.Deny.ToString());
        var odd = new PolicyRule("odd", [(PolicyAction)9, PolicyAction.Stage], [(Trigger)9]);
        Assert.Equal("""odd: {"actions":["stage"],"triggers":[]}""", odd.ToString());
        var spec = new SubscriptionSpec("s", "n", (SeedType)9, [], null, null, Domain.Policy.Default);
        Assert.Contains("unknown type 9", spec.ToString());
    }
}

public class DefensiveEvaluationTests
{
    [Fact]
    public void A_rule_built_in_code_with_an_unknown_zone_is_warned_about_and_never_matches()
    {
        var policy = new Policy([new PolicyRule("odd", [PolicyAction.Activate], null, new PolicyWindow(LocalTime.Midnight, new LocalTime(23, 59), null, "Nowhere/Land"))]);
        Assert.Equal(["policy rule \"odd\": unknown time zone \"Nowhere/Land\", so the window never opens"], PolicyJson.Warnings(policy, SeedType.NixOS).ToArray());
        Assert.Null(PolicyExplainer.Explain(policy, null, SeedType.NixOS, null, TestData.Utc("2026-06-01T12:00:00Z")).Highest);
        Assert.Contains("unknown zone", PolicyExplainer.Explain(policy, Trigger.Manual, SeedType.NixOS, null, TestData.Utc("2026-06-01T12:00:00Z")).Text);
    }
}

using System.Text.Json.Nodes;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tests;

public class PolicyJsonTests
{
    private static string[] Problems(string json, string path = "policy", SeedType? seedType = null)
    {
        var parsed = PolicyJson.Parse(JsonNode.Parse(json), path, seedType);
        Assert.False(parsed.Ok);
        Assert.Null(parsed.Value);
        return [.. parsed.Problems.Select(p => p.ToString())];
    }

    [Theory]
    [InlineData("9:00")]
    [InlineData("09:00:00")]
    [InlineData("24:00")]
    [InlineData("23:60")]
    [InlineData("0900")]
    [InlineData("09.00")]
    [InlineData(" 09:00")]
    [InlineData("09:00 ")]
    [InlineData("")]
    [InlineData("9:5")]
    [InlineData("-1:00")]
    [InlineData("０９:００")]
    [InlineData("ab:cd")]
    public void Malformed_times_are_reported_with_rule_and_field(string time)
    {
        var json = new JsonObject
        {
            ["maintenance"] = new JsonObject
            {
                ["actions"] = new JsonArray("activate"),
                ["window"] = new JsonObject { ["time_start"] = time, ["time_end"] = "10:00" },
            },
        };
        var parsed = PolicyJson.Parse(json);
        var problem = Assert.Single(parsed.Problems);
        Assert.Equal("policy.maintenance.window.time_start", problem.Path);
        Assert.StartsWith("expected HH:MM, got \"", problem.Message);
    }

    [Fact]
    public void The_reference_example_message_is_exact() =>
        Assert.Equal(["policy.maintenance.window.time_start: expected HH:MM, got \"9:00\""],
            Problems("""{"maintenance": {"actions": ["activate"], "window": {"time_start": "9:00", "time_end": "10:00"}}}"""));

    [Theory]
    [InlineData("00:00", 0, 0)]
    [InlineData("23:59", 23, 59)]
    [InlineData("09:05", 9, 5)]
    [InlineData("12:30", 12, 30)]
    public void Valid_times_parse_to_whole_minutes(string text, int hour, int minute)
    {
        Assert.True(PolicyJson.TryParseTime(text, out var time));
        Assert.Equal(new LocalTime(hour, minute), time);
        Assert.Equal(text, PolicyJson.FormatTime(time));
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_path()
    {
        var problems = Problems("""
            {
              "a": {"actions": ["reboot", "activate", "stage"], "triggers": ["manual", "cron"]},
              "b": {"actions": [], "window": {"time_start": "09:00:00", "time_end": "24:00", "days": ["mon", "Tue", "funday"], "tz": "Mars/Base"}},
              "c": {"triggers": ["realtime"], "confirm": "yes"},
              "d": {"actions": ["activate"], "window": {"time_end": "10:00"}, "acions": ["x"]},
              "e": "activate",
              "f": {"actions": "activate", "triggers": "manual", "window": ["09:00", "10:00"]},
              "ok": {"actions": ["stage"]}
            }
            """, "subscriptions.web01.policy");
        Assert.Equal(
        [
            "subscriptions.web01.policy.a.actions[0]: unknown action \"reboot\", expected one of stage, activate, restart",
            "subscriptions.web01.policy.a.triggers[1]: unknown trigger \"cron\", expected one of manual, scheduled, realtime, poll_on_connect, recall",
            "subscriptions.web01.policy.b.actions: must not be empty: list at least one of stage, activate, restart",
            "subscriptions.web01.policy.b.window.time_start: expected HH:MM, got \"09:00:00\"",
            "subscriptions.web01.policy.b.window.time_end: expected HH:MM, got \"24:00\"",
            "subscriptions.web01.policy.b.window.days[1]: unknown day \"Tue\", expected one of mon, tue, wed, thu, fri, sat, sun",
            "subscriptions.web01.policy.b.window.days[2]: unknown day \"funday\", expected one of mon, tue, wed, thu, fri, sat, sun",
            "subscriptions.web01.policy.b.window.tz: unknown time zone \"Mars/Base\"",
            "subscriptions.web01.policy.c.actions: required: a non-empty list of stage, activate, restart",
            "subscriptions.web01.policy.c.confirm: expected true or false, got \"yes\"",
            "subscriptions.web01.policy.d.acions: unknown field, expected one of actions, triggers, window, confirm",
            "subscriptions.web01.policy.d.window.time_start: required: expected HH:MM",
            "subscriptions.web01.policy.e: expected a rule object with \"actions\", got \"activate\"",
            "subscriptions.web01.policy.f.actions: expected a list of stage, activate, restart, got \"activate\"",
            "subscriptions.web01.policy.f.triggers: expected a list of manual, scheduled, realtime, poll_on_connect, recall, or null, got \"manual\"",
            "subscriptions.web01.policy.f.window: expected an object with time_start and time_end, got [\"09:00\",\"10:00\"]",
        ], problems);
    }

    [Fact]
    public void List_form_rules_are_named_by_position()
    {
        Assert.Equal(["policy.rule-2.actions[0]: unknown action \"Activate\", expected one of stage, activate, restart"],
            Problems("""[{"actions": ["stage"]}, {"actions": ["Activate"]}]"""));
        var parsed = PolicyJson.Parse(JsonNode.Parse("""[{"actions": ["stage"]}, {"actions": ["activate"]}]"""));
        Assert.Equal(["rule-1", "rule-2"], parsed.Value!.Rules.Select(r => r.Name));
    }

    [Theory]
    [InlineData("5", "policy: expected a map of rule name to rule, a list of rules, or null, got 5")]
    [InlineData("\"activate\"", "policy: expected a map of rule name to rule, a list of rules, or null, got \"activate\"")]
    [InlineData("true", "policy: expected a map of rule name to rule, a list of rules, or null, got true")]
    [InlineData("[null]", "policy.rule-1: expected a rule object with \"actions\", got null")]
    [InlineData("""{"r": null}""", "policy.r: expected a rule object with \"actions\", got null")]
    [InlineData("""{"r": {"actions": null}}""", "policy.r.actions: required: a non-empty list of stage, activate, restart")]
    [InlineData("""{"r": {"actions": [1]}}""", "policy.r.actions[0]: unknown action 1, expected one of stage, activate, restart")]
    [InlineData("""{"r": {"actions": ["stage"], "triggers": [null]}}""", "policy.r.triggers[0]: unknown trigger null, expected one of manual, scheduled, realtime, poll_on_connect, recall")]
    [InlineData("""{"r": {"actions": ["stage"], "confirm": 1}}""", "policy.r.confirm: expected true or false, got 1")]
    [InlineData("""{"r": {"actions": ["stage"], "window": {"time_start": "01:00", "time_end": 100}}}""", "policy.r.window.time_end: expected HH:MM, got 100")]
    [InlineData("""{"r": {"actions": ["stage"], "window": {"time_start": "01:00", "time_end": "02:00", "days": "mon"}}}""", "policy.r.window.days: expected a list of mon, tue, wed, thu, fri, sat, sun, or null, got \"mon\"")]
    [InlineData("""{"r": {"actions": ["stage"], "window": {"time_start": "01:00", "time_end": "02:00", "tz": 1}}}""", "policy.r.window.tz: expected an IANA time zone id such as \"Europe/Berlin\", got 1")]
    [InlineData("""{"r": {"actions": ["stage"], "window": {"time_start": "01:00", "time_end": "02:00", "tz": "europe/berlin"}}}""", "policy.r.window.tz: unknown time zone \"europe/berlin\"")]
    [InlineData("""{"r": {"actions": ["stage"], "window": {"time_start": "01:00", "time_end": "02:00", "tz": ""}}}""", "policy.r.window.tz: unknown time zone \"\"")]
    [InlineData("""{"r": {"actions": ["stage"], "window": {"time_start": "01:00", "time_end": "02:00", "day": ["mon"]}}}""", "policy.r.window.day: unknown field, expected one of time_start, time_end, days, tz")]
    [InlineData("""{"r": {"actions": ["stage"], "window": {}}}""", "policy.r.window.time_start: required: expected HH:MM")]
    public void Each_kind_of_bad_input_has_a_clear_message(string json, string expectedFirst) =>
        Assert.Equal(expectedFirst, Problems(json)[0]);

    [Fact]
    public void Null_optional_fields_mean_absent()
    {
        var parsed = PolicyJson.Parse(JsonNode.Parse("""
            {"r": {"actions": ["stage"], "triggers": null, "window": null, "confirm": null},
             "w": {"actions": ["activate"], "window": {"time_start": "01:00", "time_end": "02:00", "days": null, "tz": null}}}
            """));
        Assert.True(parsed.Ok, string.Join("\n", parsed.Problems));
        var rule = parsed.Value!.Rules[0];
        Assert.Null(rule.Triggers);
        Assert.Null(rule.Window);
        Assert.False(rule.Confirm);
        Assert.Null(parsed.Value.Rules[1].Window!.Days);
        Assert.Null(parsed.Value.Rules[1].Window!.Tz);
    }

    [Fact]
    public void Actions_the_seed_type_cannot_do_are_problems_only_when_asked()
    {
        const string json = """{"weekly": {"actions": ["restart", "activate"]}}""";
        Assert.True(PolicyJson.Parse(JsonNode.Parse(json)).Ok);
        Assert.Equal(["policy.weekly.actions[0]: unsupported action \"restart\" for seed type home-manager (supported: activate, stage)"],
            Problems(json, seedType: SeedType.HomeManager));
        Assert.Equal(
        [
            "policy.weekly.actions[0]: unsupported action \"restart\" for seed type gcroot (supported: stage)",
            "policy.weekly.actions[1]: unsupported action \"activate\" for seed type gcroot (supported: stage)",
        ], Problems(json, seedType: SeedType.GcRoot));
    }

    [Fact]
    public void Warnings_name_empty_lists_and_unsupported_actions()
    {
        var policy = TestData.Policy("""
            {"quiet": {"actions": ["stage"], "triggers": []},
             "never": {"actions": ["stage"], "window": {"time_start": "01:00", "time_end": "02:00", "days": []}},
             "reboot": {"actions": ["restart", "activate"]}}
            """);
        var warnings = PolicyJson.Warnings(policy, SeedType.Service);
        Assert.Equal(
        [
            "policy rule \"quiet\": the triggers list is empty, so the rule matches nothing",
            "policy rule \"never\": the window's days list is empty, so the rule matches nothing",
            "policy rule \"reboot\": unsupported action \"restart\" for seed type service (supported: activate, stage)",
        ], warnings.ToArray());
        Assert.Contains("unsupported action", warnings[2]);
        Assert.Equal(2, PolicyJson.Warnings(policy, SeedType.NixOS).Length);
        Assert.Empty(PolicyJson.Warnings(Policy.Default, SeedType.HomeManager));
    }

    [Fact]
    public void The_map_form_round_trips()
    {
        var policy = TestData.Policy("""
            {"by-hand":  {"actions": ["activate"], "triggers": ["manual"]},
             "nightly":  {"actions": ["stage", "activate"], "triggers": ["scheduled", "poll_on_connect"],
                          "window": {"time_start": "04:00", "time_end": "06:00"}},
             "weekly-reboot": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                               "window": {"days": ["sun", "sat"], "time_start": "23:00", "time_end": "01:00", "tz": "Australia/Lord_Howe"}},
             "empty": {"actions": ["stage"], "triggers": [], "window": {"time_start": "00:00", "time_end": "00:00", "days": []}}}
            """);
        var json = PolicyJson.ToJson(policy);
        Assert.Equal(policy, PolicyJson.Parse(JsonNode.Parse(json.ToJsonString())).Value);
        Assert.Equal("""{"actions":["activate"],"triggers":["manual"]}""", json["by-hand"]!.ToJsonString());
        Assert.Equal("""{"actions":["restart"],"triggers":["scheduled"],"window":{"time_start":"23:00","time_end":"01:00","days":["sun","sat"],"tz":"Australia/Lord_Howe"},"confirm":true}""",
            json["weekly-reboot"]!.ToJsonString());
    }

    [Fact]
    public void The_default_policy_is_written_as_the_empty_map()
    {
        Assert.Equal("{}", PolicyJson.ToJson(Policy.Default).ToJsonString());
        Assert.Equal(Policy.Default, PolicyJson.Parse(PolicyJson.ToJson(Policy.Default)).Value);
    }

    [Fact]
    public void Duplicate_rule_names_are_kept_apart_when_writing()
    {
        var rule = new PolicyRule("x", [PolicyAction.Stage]);
        var json = PolicyJson.ToJson(new Policy([rule, rule with { Actions = [PolicyAction.Activate] }]));
        Assert.Equal(["x", "x-2"], json.Select(p => p.Key));
    }

    [Fact]
    public void Duplicate_keys_in_the_input_are_a_problem_not_an_exception()
    {
        var parsed = PolicyJson.Parse(JsonNode.Parse("""{"r": {"actions": ["stage"]}, "r": {"actions": ["activate"]}}"""));
        Assert.False(parsed.Ok);
        var inRule = PolicyJson.Parse(JsonNode.Parse("""{"r": {"actions": ["stage"], "actions": ["activate"]}}"""));
        Assert.False(inRule.Ok);
    }
}

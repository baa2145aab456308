using System.Text.Json.Nodes;
using Sower.Messages.Domain;

namespace Sower.Messages.Tests;

public class SubscriptionJsonTests
{
    private const string ReferenceExample = """
        {
          "seed_type": "nixos",
          "rules": ["git_branch=production", {"key": "system", "op": "eq", "value": "x86_64-linux"}],
          "schedule": "30 4 * * *",
          "timezone": "Europe/Berlin",
          "policy": {
            "by-hand":  {"actions": ["activate"], "triggers": ["manual"]},
            "nightly":  {"actions": ["stage", "activate"], "triggers": ["scheduled", "poll_on_connect"],
                         "window": {"time_start": "04:00", "time_end": "06:00"}},
            "weekly-reboot": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                              "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00"}}
          }
        }
        """;

    [Fact]
    public void The_reference_example_parses_with_the_garden_name_as_seed_name()
    {
        var parsed = SubscriptionJson.Parse("web01", JsonNode.Parse(ReferenceExample), "subscriptions.web01", "web01-host");
        Assert.True(parsed.Ok, string.Join("\n", parsed.Problems));
        var spec = parsed.Value!;
        Assert.Equal("web01", spec.Name);
        Assert.Equal("web01-host", spec.SeedName);
        Assert.Equal(SeedType.NixOS, spec.SeedType);
        Assert.Equal([Rule.Equal("git_branch", "production"), Rule.Equal("system", "x86_64-linux")], spec.Rules.ToArray());
        Assert.Equal("30 4 * * *", spec.Schedule);
        Assert.Equal("Europe/Berlin", spec.Timezone);
        Assert.Equal(3, spec.Policy.Rules.Length);
    }

    [Fact]
    public void The_wire_form_round_trips()
    {
        var spec = SubscriptionJson.Parse("web01", JsonNode.Parse(ReferenceExample), "subscriptions.web01", "web01").Value!;
        var wire = SubscriptionJson.ToJson(spec);
        Assert.Equal("""[{"key":"git_branch","op":"eq","value":"production"},{"key":"system","op":"eq","value":"x86_64-linux"}]""", wire["rules"]!.ToJsonString());
        var back = SubscriptionJson.Parse("web01", JsonNode.Parse(wire.ToJsonString()), "subscriptions.web01", null);
        Assert.True(back.Ok, string.Join("\n", back.Problems));
        Assert.Equal(spec, back.Value);
    }

    [Fact]
    public void Minimal_subscriptions_get_defaults()
    {
        var parsed = SubscriptionJson.Parse("me", JsonNode.Parse("""{"seed_type": "home-manager", "seed_name": "alice"}"""), "subscriptions.me", "host");
        Assert.True(parsed.Ok);
        Assert.Empty(parsed.Value!.Rules);
        Assert.Null(parsed.Value.Schedule);
        Assert.Null(parsed.Value.Timezone);
        Assert.True(parsed.Value.Policy.IsDefault);
        var wire = SubscriptionJson.ToJson(parsed.Value);
        Assert.Equal("""{"name":"me","seed_name":"alice","seed_type":"home-manager","rules":[],"policy":{}}""", wire.ToJsonString());
    }

    [Fact]
    public void Every_problem_is_reported_with_its_path()
    {
        var parsed = SubscriptionJson.Parse("web01", JsonNode.Parse("""
            {"seed_type": "home-manager", "rules": ["ok=1", "bad"], "schedule": "61 * * * *", "timezone": "Berlin",
             "policy": {"p": {"actions": ["activate"], "window": {"time_start": "9:00", "time_end": "10:00"}}}, "scheduel": "x"}
            """), "subscriptions.web01", "host");
        Assert.False(parsed.Ok);
        var problems = parsed.Problems.Select(p => p.ToString()).ToArray();
        Assert.Equal("subscriptions.web01.scheduel: unknown field, expected one of name, seed_name, seed_type, rules, schedule, timezone, policy", problems[0]);
        Assert.Equal("subscriptions.web01.seed_name: required (only nixos subscriptions default to the garden's name)", problems[1]);
        Assert.Equal("subscriptions.web01.rules: Rule 2: Invalid rule format, expected key=value", problems[2]);
        Assert.StartsWith("subscriptions.web01.schedule: invalid cron expression \"61 * * * *\"", problems[3]);
        Assert.Equal("subscriptions.web01.timezone: unknown time zone \"Berlin\"", problems[4]);
        Assert.Equal("subscriptions.web01.policy.p.window.time_start: expected HH:MM, got \"9:00\"", problems[5]);
        Assert.Equal(6, problems.Length);
    }

    [Theory]
    [InlineData("""{}""", "subscriptions.s.seed_type: required: one of nixos, home-manager, nix-darwin, service, gcroot")]
    [InlineData("""{"seed_type": "NixOS"}""", "subscriptions.s.seed_type: unknown seed type \"NixOS\", expected one of nixos, home-manager, nix-darwin, service, gcroot")]
    [InlineData("""{"seed_type": "nixos", "seed_name": ""}""", "subscriptions.s.seed_name: expected a non-empty string, got \"\"")]
    [InlineData("""{"seed_type": "nixos", "seed_name": "a", "name": "other"}""", "subscriptions.s.name: must equal the subscription's key \"s\", got \"other\"")]
    [InlineData("""{"seed_type": "nixos", "seed_name": "a", "rules": "a=b"}""", "subscriptions.s.rules: Invalid rules: expected a list of rules")]
    [InlineData("""{"seed_type": "nixos", "seed_name": "a", "schedule": 5}""", "subscriptions.s.schedule: expected a cron expression string, got 5")]
    [InlineData("""{"seed_type": "gcroot", "seed_name": "a", "policy": 1}""", "subscriptions.s.policy: expected a map of rule name to rule, a list of rules, or null, got 1")]
    [InlineData("""[]""", "subscriptions.s: expected a subscription object with seed_type, got []")]
    public void Bad_subscriptions_name_the_field(string json, string expected)
    {
        var parsed = SubscriptionJson.Parse("s", JsonNode.Parse(json), "subscriptions.s", null);
        Assert.Equal(expected, parsed.Problems[0].ToString());
    }

    [Fact]
    public void A_nixos_subscription_without_a_default_name_needs_seed_name()
    {
        var parsed = SubscriptionJson.Parse("s", JsonNode.Parse("""{"seed_type": "nixos"}"""), "subscriptions.s", null);
        Assert.Equal("subscriptions.s.seed_name: required (only nixos subscriptions default to the garden's name)", Assert.Single(parsed.Problems).ToString());
    }

    [Fact]
    public void Reboot_and_macro_schedules_are_accepted()
    {
        foreach (var schedule in new[] { "@reboot", "@daily", "0 30 4 * * *" })
        {
            var parsed = SubscriptionJson.Parse("s", new JsonObject { ["seed_type"] = "gcroot", ["seed_name"] = "pin", ["schedule"] = schedule }, "s", null);
            Assert.True(parsed.Ok, schedule);
        }
    }
}

public class SubscriptionWarningTests
{
    [Fact]
    public void Scheduled_rules_without_a_schedule_and_unsupported_actions_are_warned_about()
    {
        var spec = SubscriptionJson.Parse("me", JsonNode.Parse("""
            {"seed_type": "home-manager", "seed_name": "alice",
             "policy": {"nightly": {"actions": ["restart", "activate"], "triggers": ["scheduled"]}}}
            """), "subscriptions.me", null).Value!;
        Assert.Equal(
        [
            "subscription \"me\": policy rule \"nightly\": unsupported action \"restart\" for seed type home-manager (supported: activate, stage)",
            "subscription \"me\": policy rule \"nightly\" is for the scheduled trigger, but the subscription has no schedule, so it never applies",
        ], SubscriptionJson.Warnings(spec).ToArray());
        Assert.Empty(SubscriptionJson.Warnings(spec with { Schedule = "@daily", Policy = Policy.Default }));
    }

    [Fact]
    public void A_policy_with_a_null_rule_is_a_programming_error() =>
        Assert.Throws<ArgumentException>(() => new Policy([null!]));
}

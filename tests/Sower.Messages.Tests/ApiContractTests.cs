using System.Collections.Immutable;
using System.Text.Json.Nodes;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Messages.Tests;

/// <summary>Uses every member of the domain API contract (notes/DOMAIN-API.md) with its exact shape, so a change that would
/// break the server or garden fails here first.</summary>
public class ApiContractTests
{
    [Fact]
    public void The_contract_compiles_and_behaves()
    {
        ValidationProblem problem = new(Path: "p", Message: "m");
        Assert.Equal("p: m", problem.ToString());
        Parsed<int> parsed = new(Value: 1, Problems: ImmutableArray<ValidationProblem>.Empty);
        Assert.True(parsed.Ok);

        Tag tag = new(Key: "k", Value: "v");
        Rule rule = new(Key: "k", Op: "eq", Value: "v");
        Assert.Equal("k=v", tag.ToString());
        Assert.Equal("k=v", rule.ToString());
        Assert.Equal("Invalid rule format, expected key=value", Rules.FormatError);
        bool ok = Rules.TryParse("k=v", out Rule? r1, out string? e1);
        Rule r2 = Rules.ParseOrThrow("k=v");
        bool okMap = Rules.TryParseMap(JsonNode.Parse("""{"key":"k","op":"eq","value":"v"}"""), out Rule? r3, out string? e3);
        bool okList = Rules.TryParseList(JsonNode.Parse("""["k=v"]"""), out ImmutableArray<Rule> list, out string? e4);
        bool matches = Rules.Matches(new[] { tag }, new[] { rule });
        string printed = Rules.Print(list);
        Assert.True(ok && okMap && okList && matches && r1 == r2 && r2 == r3 && e1 is null && e3 is null && e4 is null && printed == "[k=v]");
        Assert.True(SeedMatching.Matches("web01", SeedType.NixOS, [tag], false, "web01", SeedType.NixOS, [rule]));

        PolicyWindow window = new(Start: new LocalTime(4, 0), End: new LocalTime(6, 0), Days: [IsoDayOfWeek.Sunday], Tz: null);
        PolicyRule policyRule = new(Name: "w", Actions: [PolicyAction.Restart], Triggers: [Trigger.Scheduled], Window: window, Confirm: true);
        Policy policy = new(Rules: [policyRule]);
        Assert.False(policy.IsDefault);
        Assert.True(Policy.Default.IsDefault);

        Parsed<Policy> fromJson = PolicyJson.Parse(PolicyJson.ToJson(policy), "subscriptions.web01.policy", SeedType.NixOS);
        JsonObject json = PolicyJson.ToJson(fromJson.Value!);
        ImmutableArray<string> warnings = PolicyJson.Warnings(policy, SeedType.HomeManager);
        Assert.Equal(policy, fromJson.Value);
        Assert.Single(json);
        Assert.Single(warnings);

        Instant sunday = Instant.FromUtc(2026, 11, 29, 4, 30);
        PolicyDecision decision = PolicyEvaluator.Evaluate(policy, Trigger.Scheduled, sunday, SeedType.NixOS, zone: null);
        Assert.Equal(new PolicyDecision(Kind: DecisionKind.Confirm, Action: PolicyAction.Restart, MatchedRules: ["w"]), decision);
        PolicyAction? highest = PolicyEvaluator.HighestPermittedAction(policy, sunday, SeedType.NixOS, DateTimeZoneProviders.Tzdb["Etc/UTC"]);
        Assert.Equal(PolicyAction.Restart, highest);
        Assert.False(PolicyEvaluator.HasRealtimeTrigger(policy));

        PolicyExplanation explanation = PolicyExplainer.Explain(policy, Trigger.Scheduled, SeedType.NixOS, null, sunday);
        (PolicyDecision? d, PolicyAction? h, bool realtime, ImmutableArray<string> matched, Instant? next, string text) = explanation;
        Assert.Equal(decision, d);
        Assert.Equal(highest, h);
        Assert.False(realtime);
        Assert.Equal(["w"], matched.ToArray());
        Assert.Equal(Instant.FromUtc(2026, 11, 29, 6, 0) + Duration.FromTicks(1), next);
        Assert.NotEmpty(text);

        Assert.True(CronSchedule.TryParse("30 4 * * *", out CronSchedule? cron, out string? cronError));
        Assert.Null(cronError);
        Assert.Equal("30 4 * * *", cron!.Expression);
        Assert.False(cron.IsReboot);
        Instant? nextFire = cron.NextAfter(sunday, Zones.Utc);
        Instant? lastFire = cron.LatestAtOrBefore(sunday, Zones.Utc);
        Assert.Equal(Instant.FromUtc(2026, 11, 30, 4, 30), nextFire);
        Assert.Equal(sunday, lastFire);
        Assert.True(Zones.TryGet("Europe/Berlin", out DateTimeZone? berlin));
        Assert.NotNull(berlin);

        SubscriptionSpec spec = new(Name: "web01", SeedName: "web01", SeedType: SeedType.NixOS, Rules: [rule], Schedule: "30 4 * * *",
                                    Timezone: "Europe/Berlin", Policy: policy);
        Parsed<SubscriptionSpec> back = SubscriptionJson.Parse("web01", SubscriptionJson.ToJson(spec), "subscriptions.web01", defaultSeedName: null);
        Assert.Equal(spec, back.Value);

        Assert.Equal("switch", ActivationModes.NixosMode(PolicyAction.Activate));
        Assert.Equal("boot", ActivationModes.NixosMode(PolicyAction.Restart));
        Assert.Null(ActivationModes.NixosMode(PolicyAction.Stage));
    }
}

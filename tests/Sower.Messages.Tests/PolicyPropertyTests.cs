using System.Collections.Immutable;
using System.Text.Json.Nodes;
using CsCheck;
using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Tests.PolicyGenerators;

namespace Sower.Messages.Tests;

public class PolicyPropertyTests
{
    [Fact]
    public void Adding_a_rule_to_a_non_empty_policy_never_lowers_the_highest_permitted_action() =>
        Gen.Select(GenPolicy, AnyRule, GenInstant, GenZone, GenSeedType).Sample((policy, extra, at, zone, type) =>
        {
            var before = PolicyEvaluator.HighestPermittedAction(policy, at, type, zone);
            var after = PolicyEvaluator.HighestPermittedAction(new Policy(policy.Rules.Add(extra)), at, type, zone);
            Assert.True(Rank(after) >= Rank(before), $"{before} -> {after}");
        }, iter: 2000);

    [Fact]
    public void An_overnight_window_equals_the_union_of_its_two_halves() =>
        Gen.Select(GenMinuteTime, GenMinuteTime, GenDays, GenLocalDateTime).Sample((a, b, days, local) =>
        {
            if (a == b) return;
            var (start, end) = a > b ? (a, b) : (b, a);
            var overnight = new PolicyWindow(start, end, days, null);
            var evening = new PolicyWindow(start, LocalTime.MaxValue, days, null);
            var shifted = days?.Select(d => d == IsoDayOfWeek.Sunday ? IsoDayOfWeek.Monday : d + 1).ToImmutableArray();
            var morning = new PolicyWindow(LocalTime.Midnight, end, shifted, null);
            Assert.Equal(PolicyEvaluator.WindowMatches(evening, local) || PolicyEvaluator.WindowMatches(morning, local),
                         PolicyEvaluator.WindowMatches(overnight, local));
        }, iter: 5000);

    [Fact]
    public void An_overnight_window_equals_the_union_of_its_two_halves_at_instants_in_every_zone() =>
        Gen.Select(GenWindow, GenInstant, GenZone).Sample((window, at, zone) =>
        {
            if (!window.IsOvernight) return;
            var evening = window with { End = LocalTime.MaxValue };
            var morning = window with
            {
                Start = LocalTime.Midnight,
                Days = window.Days?.Select(d => d == IsoDayOfWeek.Sunday ? IsoDayOfWeek.Monday : d + 1).ToImmutableArray(),
            };
            Assert.Equal(PolicyEvaluator.WindowMatches(evening, at, zone) || PolicyEvaluator.WindowMatches(morning, at, zone),
                         PolicyEvaluator.WindowMatches(window, at, zone));
        }, iter: 3000);

    [Fact]
    public void A_normal_window_is_the_inclusive_interval_on_its_days() =>
        Gen.Select(GenMinuteTime, GenMinuteTime, GenDays, GenLocalDateTime).Sample((a, b, days, local) =>
        {
            var (start, end) = a <= b ? (a, b) : (b, a);
            var onDay = days is null || days.Value.Contains(local.DayOfWeek);
            Assert.Equal(onDay && start <= local.TimeOfDay && local.TimeOfDay <= end,
                         PolicyEvaluator.WindowMatches(new PolicyWindow(start, end, days, null), local));
        }, iter: 5000);

    [Fact]
    public void String_rules_round_trip_through_print_and_parse() =>
        Gen.Select(Gen.String[Gen.Char["ab_ =-xyzé\t"], 1, 8], Gen.String[Gen.Char["ab_ =-xyzé\t"], 1, 8]).Sample((key, value) =>
        {
            key = key.Replace('=', '_');
            var rule = Rule.Equal(key, value);
            Assert.True(Rules.TryParse(rule.ToString(), out var back, out var error), error);
            Assert.Equal(rule, back);
        }, iter: 2000);

    [Fact]
    public void Rule_lists_round_trip_through_the_map_form() =>
        Gen.Select(Gen.String[1, 6], Gen.String[0, 6]).Array[0, 5].Sample(pairs =>
        {
            var rules = pairs.Select(p => Rule.Equal(p.Item1, p.Item2)).ToArray();
            Assert.True(Rules.TryParseList(JsonNode.Parse(Rules.ToJson(rules).ToJsonString()), out var back, out var error), error);
            Assert.Equal(rules, back.ToArray());
        }, iter: 500);

    [Fact]
    public void Policies_round_trip_through_the_map_form() =>
        GenPolicy.Sample(policy =>
        {
            var json = PolicyJson.ToJson(policy).ToJsonString();
            var back = PolicyJson.Parse(JsonNode.Parse(json));
            Assert.True(back.Ok, string.Join("\n", back.Problems));
            Assert.Equal(policy, back.Value);
        }, iter: 1000);

    [Fact]
    public void The_decision_never_exceeds_the_highest_permitted_action_and_decide_agrees() =>
        Gen.Select(GenPolicy, GenTrigger, GenInstant, GenZone, GenSeedType).Sample((policy, trigger, at, zone, type) =>
        {
            var decision = PolicyEvaluator.Evaluate(policy, trigger, at, type, zone);
            Assert.Equal(decision.Verdict, PolicyEvaluator.Decide(policy, trigger, at, type, zone));
            var highest = PolicyEvaluator.HighestPermittedAction(policy, at, type, zone);
            if (decision.Kind == DecisionKind.Deny)
            {
                Assert.Null(decision.Action);
                Assert.Empty(decision.MatchedRules);
            }
            else
            {
                Assert.True(Rank(decision.Action) <= Rank(highest));
                Assert.True(type.Supports(decision.Action!.Value));
                Assert.NotEmpty(decision.MatchedRules);
            }
        }, iter: 3000);

    [Fact]
    public void Rule_order_never_changes_the_decision() =>
        Gen.Select(GenPolicy, GenTrigger, GenInstant, GenZone, GenSeedType, Gen.Int).Sample((policy, trigger, at, zone, type, seed) =>
        {
            var shuffled = policy.Rules.OrderBy(_ => new Random(seed).Next()).Reverse().ToImmutableArray();
            Assert.Equal(PolicyEvaluator.Decide(policy, trigger, at, type, zone), PolicyEvaluator.Decide(new Policy(shuffled), trigger, at, type, zone));
        }, iter: 1000);

    [Fact]
    public void Next_change_is_the_first_instant_where_the_decision_differs() =>
        Gen.Select(GenPolicy, Gen.Nullable(GenTrigger, 0.3), GenInstant, GenZone, GenSeedType, Gen.Long[1, Duration.FromDays(8).BclCompatibleTicks].Array[20])
            .Sample((policy, trigger, at, zone, type, probes) =>
        {
            var next = PolicyExplainer.NextChange(policy, trigger, type, zone, at);
            var current = Outcome(policy, trigger, type, zone, at);
            var limit = next ?? at + PolicyExplainer.Horizon;
            if (next is { } change)
            {
                Assert.True(change > at && change <= at + PolicyExplainer.Horizon);
                Assert.NotEqual(current, Outcome(policy, trigger, type, zone, change));
                Assert.Equal(current, Outcome(policy, trigger, type, zone, change - Duration.FromTicks(1)));
            }
            foreach (var probe in probes)
            {
                var t = at + Duration.FromTicks(probe);
                if (t < limit) Assert.Equal(current, Outcome(policy, trigger, type, zone, t));
                // Within a tick the decision never changes: time is compared at tick precision.
                if (t + Duration.FromNanoseconds(99) < limit) Assert.Equal(current, Outcome(policy, trigger, type, zone, t + Duration.FromNanoseconds(99)));
            }
        }, iter: 400, print: t => $"{PolicyJson.ToJson(t.Item1).ToJsonString()} {t.Item2} {t.Item3} {t.Item4} {t.Item5}");

    [Fact]
    public void Realtime_is_enabled_exactly_when_a_realtime_trigger_can_be_allowed_at_some_time() =>
        Gen.Select(GenPolicy, GenSeedType).Sample((policy, type) =>
        {
            // With every window removed, a realtime trigger is decided by some rule iff realtime is enabled (for nixos, which supports every action).
            var windowless = new Policy([.. policy.Rules.Select(r => r with { Window = null })]);
            var decision = PolicyEvaluator.Decide(windowless, Trigger.Realtime, Instant.FromUtc(2026, 1, 1, 0, 0), SeedType.NixOS);
            Assert.Equal(PolicyEvaluator.HasRealtimeTrigger(policy), decision.Kind != DecisionKind.Deny);
        }, iter: 1000);

    private static (DecisionKind, PolicyAction?) Outcome(Policy policy, Trigger? trigger, SeedType type, DateTimeZone? zone, Instant at) =>
        trigger is { } t
            ? (PolicyEvaluator.Decide(policy, t, at, type, zone).Kind, PolicyEvaluator.Decide(policy, t, at, type, zone).Action)
            : (DecisionKind.Allow, PolicyEvaluator.HighestPermittedAction(policy, at, type, zone));
}

using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using NodaTime;
using Sower.Messages.Domain;

namespace Sower.Benchmarks;

/// <summary>
/// Policy evaluation on an already parsed policy, as server and garden call it for every deployment decision.
/// Goal: at most 1 µs and no allocation per evaluation.
/// </summary>
[MemoryDiagnoser]
public class PolicyEvaluationBenchmarks
{
    // Five rules, four of them with windows, one window in its own zone; the subscription's zone is Europe/Berlin.
    private const string PolicyJsonText = """
        {
          "by-hand":       {"actions": ["activate"], "triggers": ["manual"]},
          "nightly":       {"actions": ["stage", "activate"], "triggers": ["scheduled", "poll_on_connect"],
                            "window": {"time_start": "04:00", "time_end": "06:00"}},
          "weekly-reboot": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                            "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00"}},
          "weekend-stage": {"actions": ["stage"], "triggers": ["realtime"],
                            "window": {"days": ["sat", "sun"], "time_start": "22:00", "time_end": "02:00"}},
          "us-office":     {"actions": ["activate"], "triggers": ["realtime"],
                            "window": {"days": ["mon", "tue", "wed", "thu", "fri"], "time_start": "09:00", "time_end": "17:00",
                                       "tz": "America/New_York"}}
        }
        """;

    private readonly Policy _policy = PolicyJson.Parse(JsonNode.Parse(PolicyJsonText)).Value!;
    private readonly DateTimeZone _berlin = DateTimeZoneProviders.Tzdb["Europe/Berlin"];
    private readonly Instant _sundayNight = Instant.FromUtc(2026, 11, 29, 3, 30);   // 04:30 Berlin, Sunday
    private readonly Instant _wednesdayNoon = Instant.FromUtc(2026, 11, 25, 11, 0); // 12:00 Berlin, 06:00 New York

    [Benchmark(Description = "Evaluate: scheduled, Sunday night -> Confirm(restart)")]
    public PolicyDecision EvaluateConfirmRestart() =>
        PolicyEvaluator.Evaluate(_policy, Trigger.Scheduled, _sundayNight, SeedType.NixOS, _berlin);

    [Benchmark(Description = "Evaluate: manual -> Allow(activate)")]
    public PolicyDecision EvaluateAllowManual() =>
        PolicyEvaluator.Evaluate(_policy, Trigger.Manual, _wednesdayNoon, SeedType.NixOS, _berlin);

    [Benchmark(Description = "Evaluate: realtime, all windows closed -> Deny")]
    public PolicyDecision EvaluateDeny() =>
        PolicyEvaluator.Evaluate(_policy, Trigger.Realtime, _wednesdayNoon, SeedType.NixOS, _berlin);

    [Benchmark(Description = "Decide (no rule names): scheduled, Sunday night")]
    public PolicyVerdict DecideConfirmRestart() =>
        PolicyEvaluator.Decide(_policy, Trigger.Scheduled, _sundayNight, SeedType.NixOS, _berlin);

    [Benchmark(Description = "HighestPermittedAction: Sunday night")]
    public PolicyAction? HighestPermittedAction() =>
        PolicyEvaluator.HighestPermittedAction(_policy, _sundayNight, SeedType.NixOS, _berlin);

    [Benchmark(Description = "HasRealtimeTrigger")]
    public bool HasRealtimeTrigger() => PolicyEvaluator.HasRealtimeTrigger(_policy);
}

/// <summary>The operations that are not on the per-deployment hot path, for scale.</summary>
[MemoryDiagnoser]
public class PolicyToolingBenchmarks
{
    private readonly string _json = """
        {"by-hand": {"actions": ["activate"], "triggers": ["manual"]},
         "nightly": {"actions": ["stage", "activate"], "triggers": ["scheduled"], "window": {"time_start": "04:00", "time_end": "06:00"}},
         "weekly-reboot": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                           "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00", "tz": "Europe/Berlin"}}}
        """;

    private readonly Policy _policy;
    private readonly CronSchedule _cron = CronSchedule.Parse("30 4 * * *");
    private readonly DateTimeZone _berlin = DateTimeZoneProviders.Tzdb["Europe/Berlin"];
    private readonly Instant _monday = Instant.FromUtc(2026, 11, 23, 12, 0);

    public PolicyToolingBenchmarks() => _policy = PolicyJson.Parse(JsonNode.Parse(_json)).Value!;

    [Benchmark(Description = "PolicyJson.Parse (3 rules)")]
    public Parsed<Policy> Parse() => PolicyJson.Parse(JsonNode.Parse(_json));

    [Benchmark(Description = "PolicyExplainer.NextChange over 8 days")]
    public Instant? NextChange() => PolicyExplainer.NextChange(_policy, Trigger.Scheduled, SeedType.NixOS, _berlin, _monday);

    [Benchmark(Description = "CronSchedule.NextAfter")]
    public Instant? CronNext() => _cron.NextAfter(_monday, _berlin);
}

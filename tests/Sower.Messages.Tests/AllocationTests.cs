using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Tests.TestData;

namespace Sower.Messages.Tests;

/// <summary>The evaluator's design promise (no allocation per evaluation on a parsed policy), checked by counting bytes,
/// not by timing; docs/benchmarks.md has the timings.</summary>
public class AllocationTests
{
    private static readonly Policy Weekly = Policy("""
        {"by-hand": {"actions": ["activate"], "triggers": ["manual"]},
         "nightly": {"actions": ["stage", "activate"], "triggers": ["scheduled"], "window": {"time_start": "04:00", "time_end": "06:00"}},
         "weekly-reboot": {"actions": ["restart"], "triggers": ["scheduled"], "confirm": true,
                           "window": {"days": ["sun"], "time_start": "04:00", "time_end": "06:00", "tz": "America/New_York"}},
         "night": {"actions": ["stage"], "triggers": ["realtime"], "window": {"days": ["sat"], "time_start": "22:00", "time_end": "02:00"}}}
        """);

    [Fact]
    public void Evaluating_a_parsed_policy_allocates_nothing()
    {
        var berlin = Zone("Europe/Berlin");
        Instant[] instants = [Utc("2026-11-29T09:30:00Z"), Utc("2026-11-25T04:30:00Z"), Utc("2026-11-28T23:00:00Z"), Utc("2026-11-25T12:00:00Z")];
        Trigger[] triggers = [.. Triggers.All]; // an array: foreach over the IReadOnlyList would allocate an enumerator itself
        void Run()
        {
            foreach (var at in instants)
            {
                foreach (var trigger in triggers)
                {
                    PolicyEvaluator.Evaluate(Weekly, trigger, at, SeedType.NixOS, berlin);
                    PolicyEvaluator.Decide(Weekly, trigger, at, SeedType.HomeManager, berlin);
                }
                PolicyEvaluator.HighestPermittedAction(Weekly, at, SeedType.NixOS, berlin);
                PolicyEvaluator.HasRealtimeTrigger(Weekly);
            }
        }
        for (var i = 0; i < 200; i++) Run(); // warm caches (zone intervals, single-rule decisions) and the JIT

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

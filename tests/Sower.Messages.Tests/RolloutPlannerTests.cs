using System.Collections.Immutable;
using NodaTime;
using NodaTime.Testing;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Rollouts;
using Sower.Messages.Seeds;
using static Sower.Messages.Rollouts.RolloutEvents;
using static Sower.Messages.Seeds.SeedLineCommands;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Messages.Tests;

/// <summary>The wave planner as pure state over a fake clock (issue 14.2): no actors, no timers.</summary>
public sealed class RolloutPlannerTests
{
    private static readonly SeedLineKey Line = new(SeedType.NixOS, "web");
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 6, 1, 12, 0));

    private static SeedInfo Seed(string id) =>
        new(new SeedId("seed_" + id.PadRight(24, 'a')), "web", SeedType.NixOS, "/nix/store/x-" + id, [], Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 1, 1, 0, 0), false, "ci");

    private static GardenId Garden(int i) => new($"grdn_g{i:D23}");

    private static SubscriptionId Sub(int i) => new($"sub_s{i:D23}");

    private RolloutPlan Plan(string soak, int threshold, params string[] waves)
    {
        var parsed = RolloutPlanParser.Parse(waves, soak, threshold, Actor.Server, _clock.GetCurrentInstant());
        Assert.True(parsed.Ok, string.Join("; ", parsed.Problems));
        return parsed.Value!;
    }

    private static SeedLineState Fold(SeedLineState state, IEnumerable<ISeedLineEvent> events) => events.Aggregate(state, (s, e) => s.Apply(e));

    /// <summary>A line with <paramref name="gardens"/> realtime followers; the first <paramref name="canaries"/> carry role=canary.</summary>
    private static SeedLineState LineWith(int gardens, int canaries, RolloutPlan? plan)
    {
        var state = SeedLineState.Empty;
        for (var i = 0; i < gardens; i++)
        {
            state = Fold(state, state.Decide(new FollowSeedLine(Line, Garden(i), Sub(i), [], Realtime: true)));
            var labels = GardenLabels.None.Add("role", i < canaries ? "canary" : "web");
            state = state.Apply(new SeedLineFollowerLabeled(Line, Garden(i), labels));
        }
        return plan is null ? state : state.Apply(new RolloutPlanSet(Line, plan));
    }

    private (SeedLineState State, ImmutableArray<ISeedLineEvent> Events) Submit(SeedLineState state, SeedInfo seed)
    {
        var events = RolloutPlanner.Gate(state, state.Decide(new SetSeedInLine(Line, seed, 1, FanOut: true)), _clock.GetCurrentInstant());
        return (Fold(state, events), events);
    }

    private SeedLineState Report(SeedLineState state, SeedInfo seed, int garden, bool ok) =>
        Fold(state, RolloutPlanner.Record(state.Rollouts!.Current, Line, seed.Sid, Sub(garden), ok, _clock.GetCurrentInstant()));

    private SeedLineState Tick(SeedLineState state, out ImmutableArray<ISeedLineEvent> events)
    {
        events = RolloutPlanner.Advance(state.Rollouts!.Current!, Line, "ci", state.NextDeliveryId, _clock.GetCurrentInstant());
        return Fold(state, events);
    }

    private static ImmutableArray<SubscriptionId> FannedOut(IEnumerable<ISeedLineEvent> events) =>
        [.. events.OfType<RealtimeFanOutScheduled>().SelectMany(f => f.Subscriptions).OrderBy(s => s.Value, StringComparer.Ordinal)];

    [Fact]
    public void Without_a_plan_a_realtime_seed_fans_out_to_every_follower_as_before()
    {
        var (_, events) = Submit(LineWith(4, 1, plan: null), Seed("a"));
        Assert.Equal(4, FannedOut(events).Length);
        Assert.Empty(events.OfType<RolloutStarted>());
    }

    [Fact]
    public void A_realtime_seed_goes_to_the_first_wave_only()
    {
        var (state, events) = Submit(LineWith(8, 2, Plan("30m", 100, "canary: role=canary", "25%", "rest")), Seed("a"));
        Assert.Equal([Sub(0), Sub(1)], FannedOut(events).ToArray());
        var rollout = state.Rollouts!.Current!;
        Assert.Equal(RolloutStatus.Running, rollout.Status);
        Assert.Equal(0, rollout.Wave);
        Assert.Equal([2, 2, 4], Enumerable.Range(0, 3).Select(w => rollout.InWave(w).Count()));
        Assert.Equal(["canary", "25%", "rest"], rollout.WaveNames.ToArray());
        Assert.Equal(2, state.Pending.Count);
    }

    [Fact]
    public void The_next_wave_starts_only_after_the_threshold_and_the_soak_time()
    {
        var seed = Seed("a");
        var (state, _) = Submit(LineWith(8, 2, Plan("30m", 100, "canary: role=canary", "25%", "rest")), seed);

        state = Report(state, seed, 0, ok: true);
        _clock.AdvanceMinutes(31);
        state = Tick(state, out var events);
        Assert.Empty(events); // one of two canaries: the threshold (100%) is not reached, however long it soaks

        state = Report(state, seed, 1, ok: true);
        Assert.Equal(_clock.GetCurrentInstant() + Duration.FromMinutes(30), state.Rollouts!.Current!.SoakUntil);
        _clock.AdvanceMinutes(29);
        state = Tick(state, out events);
        Assert.Empty(events);
        Assert.Equal("soaking", RolloutView.Of(state.Rollouts!.Current!).Waves[0].State);

        _clock.AdvanceMinutes(1);
        state = Tick(state, out events);
        Assert.Equal(1, state.Rollouts!.Current!.Wave);
        var wave2 = state.Rollouts.Current.InWave(1).Select(t => t.Subscription).OrderBy(s => s.Value, StringComparer.Ordinal).ToArray();
        Assert.Equal(wave2, FannedOut(events).ToArray());
        Assert.Single(events.OfType<RolloutWaveStarted>());
    }

    [Fact]
    public void A_failure_beyond_the_threshold_halts_and_nothing_more_is_offered()
    {
        var seed = Seed("a");
        var (state, _) = Submit(LineWith(8, 4, Plan("0", 75, "canary: role=canary", "rest")), seed);
        state = Report(state, seed, 0, ok: false); // 1 of 4 failed: 75% still reachable
        Assert.Equal(RolloutStatus.Running, state.Rollouts!.Current!.Status);
        state = Report(state, seed, 1, ok: false); // 2 of 4: no longer
        var rollout = state.Rollouts!.Current!;
        Assert.Equal(RolloutStatus.Halted, rollout.Status);
        Assert.Contains("2 of 4 failed", rollout.Reason);
        state = Report(state, seed, 2, ok: true);
        state = Report(state, seed, 3, ok: true);
        _clock.AdvanceHours(5);
        state = Tick(state, out var events);
        Assert.Empty(events);
        Assert.Equal("halted", RolloutView.Of(state.Rollouts!.Current!).Waves[0].State);
    }

    [Fact]
    public void An_operator_resumes_a_halted_rollout_into_the_next_wave_or_aborts_it()
    {
        var seed = Seed("a");
        var (halted, _) = Submit(LineWith(4, 1, Plan("10m", 100, "canary: role=canary", "rest")), seed);
        halted = Report(halted, seed, 0, ok: false);
        Assert.Equal(RolloutStatus.Halted, halted.Rollouts!.Current!.Status);

        var resumeEvents = RolloutPlanner.Resume(halted.Rollouts.Current, Line, Actor.ServerAs("ops"), halted.NextDeliveryId, _clock.GetCurrentInstant());
        var resumed = Fold(halted, resumeEvents);
        Assert.Equal(RolloutStatus.Running, resumed.Rollouts!.Current!.Status);
        Assert.Equal(1, resumed.Rollouts.Current.Wave);
        Assert.Equal([Sub(1), Sub(2), Sub(3)], FannedOut(resumeEvents).OrderBy(s => s.Value, StringComparer.Ordinal));

        var aborted = halted.Apply(new RolloutAborted(Line, seed.Sid, Actor.ServerAs("ops"), _clock.GetCurrentInstant()));
        Assert.Equal(RolloutStatus.Aborted, aborted.Rollouts!.Current!.Status);
        Assert.Equal(["aborted", "skipped"], RolloutView.Of(aborted.Rollouts.Current).Waves.Select(w => w.State));
    }

    [Fact]
    public void The_last_wave_completes_the_rollout_after_its_soak()
    {
        var seed = Seed("a");
        var (state, _) = Submit(LineWith(2, 1, Plan("1h", 100, "canary: role=canary")), seed);
        Assert.Equal(["canary", "rest"], state.Rollouts!.Current!.WaveNames.ToArray()); // the implicit rest wave
        state = Report(state, seed, 0, ok: true);
        _clock.AdvanceHours(1);
        state = Tick(state, out _);
        state = Report(state, seed, 1, ok: true);
        _clock.AdvanceHours(1);
        state = Tick(state, out var events);
        Assert.Single(events.OfType<RolloutCompleted>());
        Assert.Equal(RolloutStatus.Completed, state.Rollouts!.Current!.Status);
        Assert.All(RolloutView.Of(state.Rollouts.Current).Waves, w => Assert.Equal("done", w.State));
    }

    [Fact]
    public void A_wave_without_gardens_is_passed_at_once()
    {
        var (state, events) = Submit(LineWith(3, 0, Plan("1h", 100, "canary: role=canary", "rest")), Seed("a"));
        Assert.Equal(1, state.Rollouts!.Current!.Wave);
        Assert.Equal(3, FannedOut(events).Length);
    }

    [Fact]
    public void Percentage_waves_are_stable_whatever_the_order_of_the_candidates_and_the_seed()
    {
        var plan = Plan("0", 100, "25%", "rest");
        var candidates = Enumerable.Range(0, 20).Select(i => new RolloutPlanner.Candidate(Sub(i), Garden(i), GardenLabels.None)).ToList();
        var first = RolloutPlanner.Assign(plan, candidates).Where(t => t.Wave == 0).Select(t => t.Garden).ToHashSet();
        var shuffled = RolloutPlanner.Assign(plan, Enumerable.Reverse(candidates)).Where(t => t.Wave == 0).Select(t => t.Garden).ToHashSet();
        Assert.Equal(5, first.Count);
        Assert.Equal(first, shuffled);
        // Adding a garden keeps the earlier ones where they were unless the share grows.
        var more = RolloutPlanner.Assign(plan, candidates.Append(new RolloutPlanner.Candidate(Sub(20), Garden(20), GardenLabels.None)));
        Assert.Equal(6, more.Count(t => t.Wave == 0));
    }

    [Fact]
    public void Outcomes_of_gardens_in_later_waves_or_of_another_seed_are_ignored()
    {
        var seed = Seed("a");
        var (state, _) = Submit(LineWith(4, 1, Plan("0", 100, "canary: role=canary", "rest")), seed);
        Assert.Empty(RolloutPlanner.Record(state.Rollouts!.Current, Line, seed.Sid, Sub(2), false, _clock.GetCurrentInstant()));
        Assert.Empty(RolloutPlanner.Record(state.Rollouts.Current, Line, Seed("b").Sid, Sub(0), false, _clock.GetCurrentInstant()));
    }

    [Fact]
    public void A_newer_seed_starts_a_new_rollout_from_the_first_wave()
    {
        var seed = Seed("a");
        var (state, _) = Submit(LineWith(4, 1, Plan("0", 100, "canary: role=canary", "rest")), seed);
        state = Report(state, seed, 0, ok: false);
        var newer = Seed("b") with { Recency = Instant.FromUtc(2026, 2, 1, 0, 0) };
        var (after, events) = Submit(state, newer);
        Assert.Equal(newer.Sid, after.Rollouts!.Current!.Seed);
        Assert.Equal(RolloutStatus.Running, after.Rollouts.Current.Status);
        Assert.Equal([Sub(0)], FannedOut(events).ToArray());
    }

    [Theory]
    [InlineData(new string[0], "30m", 100, "waves", "at least one wave")]
    [InlineData(new[] { "rest", "25%" }, "30m", 100, "waves[1]", "must be the last wave")]
    [InlineData(new[] { "0%" }, "30m", 100, "waves[0]", "from 1 to 100")]
    [InlineData(new[] { "150%" }, "30m", 100, "waves[0]", "from 1 to 100")]
    [InlineData(new[] { "canary: role=web=x" }, "30m", 100, "waves[0]", "only one operator")]
    [InlineData(new[] { "canary: role=a b" }, "30m", 100, "waves[0]", "may contain only")]
    [InlineData(new[] { "a: 10%", "a: 20%" }, "30m", 100, "waves[1]", "used twice")]
    [InlineData(new[] { ": 10%" }, "30m", 100, "waves[0]", "must not be empty")]
    [InlineData(new[] { "10%" }, "forever", 100, "soak", "not a duration")]
    [InlineData(new[] { "10%" }, "-5m", 100, "soak", "not a duration")]
    [InlineData(new[] { "10%" }, "8d", 100, "soak", "at most 7 days")]
    [InlineData(new[] { "10%" }, "30m", 0, "success_threshold", "from 1 to 100")]
    [InlineData(new[] { "10%" }, "30m", 101, "success_threshold", "from 1 to 100")]
    public void Bad_plans_are_refused_with_the_field_and_the_reason(string[] waves, string soak, int threshold, string path, string message)
    {
        var parsed = RolloutPlanParser.Parse(waves, soak, threshold, Actor.Server, _clock.GetCurrentInstant());
        Assert.False(parsed.Ok);
        Assert.Contains(parsed.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_plan_reads_back_from_its_text_form()
    {
        var plan = Plan("90m", 90, "canary: role=canary,zone=eu-1", "25%", "rest");
        Assert.Equal(["canary: role=canary,zone=eu-1", "25%", "rest"], plan.Waves.Select(w => w.ToString()).ToArray());
        Assert.Equal("90m", RolloutPlanParser.Format(plan.Soak));
        Assert.Equal(plan.Waves.ToArray(), Plan("90m", 90, [.. plan.Waves.Select(w => w.ToString())]).Waves.ToArray());
    }
}

using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Seeds;
using static Sower.Messages.Rollouts.RolloutEvents;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Messages.Rollouts;

/// <summary>
/// The wave planner (issue 14.2), pure: which subscriptions a realtime seed is offered now, when the next wave starts,
/// when a rollout halts. Waves only decide when a garden may be offered the seed; its policy still decides what it does.
/// </summary>
public static class RolloutPlanner
{
    /// <summary>A subscription that would get the seed, with its garden's labels.</summary>
    public sealed record Candidate(SubscriptionId Subscription, GardenId Garden, IReadOnlyDictionary<string, string> Labels);

    /// <summary>
    /// Places every candidate in a wave: a selector wave takes the remaining candidates it matches; a percentage wave the
    /// given share of all candidates (rounded up) among the remaining ones, in the order of a hash of the garden id, so
    /// the same gardens go first every time; "rest" (and the implicit last wave) takes whatever remains.
    /// </summary>
    public static ImmutableArray<RolloutTarget> Assign(RolloutPlan plan, IEnumerable<Candidate> candidates)
    {
        var remaining = candidates.OrderBy(c => StableKey(c.Garden), StringComparer.Ordinal).ThenBy(c => c.Subscription.Value, StringComparer.Ordinal).ToList();
        var total = remaining.Count;
        var result = ImmutableArray.CreateBuilder<RolloutTarget>(total);
        for (var i = 0; i < plan.Waves.Length && remaining.Count > 0; i++)
        {
            var wave = plan.Waves[i];
            var taken = wave.Selector is { } selector ? remaining.Where(c => selector.Matches(c.Labels)).ToList()
                : wave.Percent is { } percent ? remaining.Take((int)Math.Ceiling(total * percent / 100.0)).ToList()
                : remaining.ToList();
            foreach (var c in taken) result.Add(new RolloutTarget(c.Subscription, c.Garden, i));
            remaining = remaining.Except(taken).ToList();
        }
        foreach (var c in remaining) result.Add(new RolloutTarget(c.Subscription, c.Garden, plan.Waves.Length));
        return result.MoveToImmutable();
    }

    /// <summary>The stable order of percentage waves: SHA-256 of the garden id (independent of the seed and of the order of arrival).</summary>
    public static string StableKey(GardenId garden) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("rollout\n" + garden.Value)));

    /// <summary>
    /// Gates a seed line's realtime fan-out through its plan: with a plan, the fan-out the line decided for a new seed
    /// becomes a RolloutStarted (every target placed in a wave) plus the fan-out to the first wave that has gardens.
    /// Without a plan, or without a fan-out, the events pass unchanged.
    /// </summary>
    public static ImmutableArray<ISeedLineEvent> Gate(SeedLineState state, ImmutableArray<ISeedLineEvent> decided, Instant now)
    {
        var rollouts = state.Rollouts ?? SeedLineRollouts.Empty;
        if (rollouts.Plan is not { } plan || decided.OfType<RealtimeFanOutScheduled>().FirstOrDefault() is not { } fanOut) return decided;
        var candidates = fanOut.Subscriptions
            .Select(s => state.Followers.GetValueOrDefault(s.Value))
            .OfType<SeedLineFollower>()
            .Select(f => new Candidate(f.Subscription, f.Garden, rollouts.LabelsOf(f.Garden)));
        var started = new RolloutStarted(fanOut.Line, fanOut.Trigger, plan, Assign(plan, candidates), now);
        var events = decided.Where(e => e is not RealtimeFanOutScheduled).ToList();
        events.Add(started);
        var after = rollouts.Apply(started).Current!;
        events.AddRange(Advance(after, fanOut.Line, fanOut.Actor, state.NextDeliveryId, now, fanOutCurrent: true));
        return [.. events];
    }

    /// <summary>
    /// Moves a running rollout on as far as <paramref name="now"/> allows: an empty wave is passed at once, a wave that
    /// reached the threshold is passed once its soak time is over; each wave started is fanned out to its subscriptions.
    /// </summary>
    public static ImmutableArray<ISeedLineEvent> Advance(Rollout rollout, SeedLineKey line, string actor, long nextDeliveryId, Instant now, bool fanOutCurrent = false)
    {
        var events = ImmutableArray.CreateBuilder<ISeedLineEvent>();
        var r = rollout;
        if (fanOutCurrent && FanOut(r, r.Wave, line, actor, nextDeliveryId) is { } first)
        {
            events.Add(first);
            nextDeliveryId++;
        }
        while (r.Status == RolloutStatus.Running)
        {
            var (total, _, _) = r.Tally(r.Wave);
            var passed = total == 0 || r.SoakUntil is { } until && now >= until;
            if (!passed) break;
            IRolloutEvent next = r.Wave + 1 < r.WaveCount ? new RolloutWaveStarted(line, r.Seed, r.Wave + 1, now) : new RolloutCompleted(line, r.Seed, now);
            events.Add(next);
            r = r.Apply(next);
            if (next is RolloutWaveStarted && FanOut(r, r.Wave, line, actor, nextDeliveryId) is { } fanOut)
            {
                events.Add(fanOut);
                nextDeliveryId++;
            }
        }
        return events.ToImmutable();
    }

    private static RealtimeFanOutScheduled? FanOut(Rollout r, int wave, SeedLineKey line, string actor, long deliveryId)
    {
        var subs = r.InWave(wave).Select(t => t.Subscription).OrderBy(s => s.Value, StringComparer.Ordinal).ToImmutableArray();
        return subs.IsEmpty ? null : new RealtimeFanOutScheduled(line, r.Seed, actor, subs, deliveryId);
    }

    /// <summary>A garden's outcome for the current rollout's seed: recorded; a failure beyond the threshold halts the rollout.</summary>
    public static ImmutableArray<ISeedLineEvent> Record(Rollout? rollout, SeedLineKey line, SeedId seed, SubscriptionId subscription, bool succeeded, Instant now)
    {
        if (rollout is null || rollout.Seed != seed) return [];
        var target = rollout.Targets.FirstOrDefault(t => t.Subscription == subscription);
        if (target is null || target.Wave > rollout.Wave) return [];
        if (rollout.Outcomes.TryGetValue(subscription.Value, out var known) && known.Succeeded == succeeded) return [];
        var recorded = new RolloutOutcomeRecorded(line, seed, subscription, succeeded, now);
        var events = ImmutableArray.CreateBuilder<ISeedLineEvent>();
        events.Add(recorded);
        var after = rollout.Apply(recorded);
        if (after.Status == RolloutStatus.Running && target.Wave == after.Wave && after.FailedBeyondThreshold(after.Wave))
        {
            var (total, _, failed) = after.Tally(after.Wave);
            var name = after.WaveNames[after.Wave];
            events.Add(new RolloutHalted(line, seed, after.Wave,
                $"wave {after.Wave + 1} ({name}): {failed} of {total} failed, more than the success threshold of {after.Plan.SuccessThreshold}% allows", now));
        }
        return events.ToImmutable();
    }

    /// <summary>Resume a halted rollout: the halted wave counts as passed and the next one starts now.</summary>
    public static ImmutableArray<ISeedLineEvent> Resume(Rollout rollout, SeedLineKey line, Actor actor, long nextDeliveryId, Instant now)
    {
        var resumed = new RolloutResumed(line, rollout.Seed, actor, now);
        var r = rollout.Apply(resumed);
        IRolloutEvent next = r.Wave + 1 < r.WaveCount ? new RolloutWaveStarted(line, r.Seed, r.Wave + 1, now) : new RolloutCompleted(line, r.Seed, now);
        r = r.Apply(next);
        var events = ImmutableArray.CreateBuilder<ISeedLineEvent>();
        events.Add(resumed);
        events.Add(next);
        events.AddRange(Advance(r, line, actor.Sid, nextDeliveryId, now, fanOutCurrent: next is RolloutWaveStarted));
        return events.ToImmutable();
    }

    /// <summary>When the actor should look again (the end of the current soak), if ever.</summary>
    public static Instant? NextDue(Rollout? rollout) => rollout?.SoakUntil;
}

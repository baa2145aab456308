using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Rollouts.RolloutEvents;

namespace Sower.Messages.Rollouts;

public enum RolloutStatus { Running, Halted, Completed, Aborted }

/// <summary>A subscription of the rollout and the wave (0-based) in which it may be offered the seed.</summary>
public sealed record RolloutTarget(SubscriptionId Subscription, GardenId Garden, int Wave) : ISowerSerializable;

/// <summary>How the realtime deployment of the rollout's seed ended for one subscription (the latest report wins).</summary>
public sealed record RolloutOutcome(SubscriptionId Subscription, bool Succeeded, Instant At) : ISowerSerializable;

/// <summary>
/// One seed's rollout through the waves of its line's plan (a copy of the plan taken when it started, so editing the
/// plan never reshuffles a running rollout). Wave is the current wave; ThresholdReachedAt is when it reached the
/// success threshold, from which the soak time runs.
/// </summary>
public sealed record Rollout(
    SeedId Seed,
    RolloutPlan Plan,
    ImmutableArray<RolloutTarget> Targets,
    int Wave,
    RolloutStatus Status,
    ImmutableDictionary<string, RolloutOutcome> Outcomes,
    Instant StartedAt,
    Instant WaveStartedAt,
    Instant? ThresholdReachedAt,
    string? Reason) : ISowerSerializable
{
    /// <summary>The plan's waves and, when some gardens were named by none, the implicit last wave "rest".</summary>
    public ImmutableArray<string> WaveNames =>
        Targets.Any(t => t.Wave >= Plan.Waves.Length) ? [.. Plan.Waves.Select(w => w.Name), "rest"] : [.. Plan.Waves.Select(w => w.Name)];

    public int WaveCount => WaveNames.Length;

    public IEnumerable<RolloutTarget> InWave(int wave) => Targets.Where(t => t.Wave == wave);

    public (int Total, int Succeeded, int Failed) Tally(int wave)
    {
        int total = 0, ok = 0, failed = 0;
        foreach (var t in InWave(wave))
        {
            total++;
            if (Outcomes.TryGetValue(t.Subscription.Value, out var o))
            {
                if (o.Succeeded) ok++;
                else failed++;
            }
        }
        return (total, ok, failed);
    }

    /// <summary>Successes a wave of <paramref name="total"/> gardens needs: the threshold's share, rounded up.</summary>
    public int Required(int total) => (int)Math.Ceiling(total * Plan.SuccessThreshold / 100.0);

    public bool ThresholdReached(int wave)
    {
        var (total, ok, _) = Tally(wave);
        return ok >= Required(total);
    }

    /// <summary>More failures than the threshold allows: the wave can no longer succeed.</summary>
    public bool FailedBeyondThreshold(int wave)
    {
        var (total, _, failed) = Tally(wave);
        return failed > total - Required(total);
    }

    public Instant? SoakUntil => Status == RolloutStatus.Running && ThresholdReachedAt is { } reached ? reached + Plan.Soak : null;

    public Rollout Apply(IRolloutEvent e)
    {
        var next = e switch
        {
            RolloutWaveStarted w => this with { Wave = w.Wave, WaveStartedAt = w.At, ThresholdReachedAt = null },
            RolloutOutcomeRecorded o => this with { Outcomes = Outcomes.SetItem(o.Subscription.Value, new RolloutOutcome(o.Subscription, o.Succeeded, o.At)) },
            RolloutHalted h => this with { Status = RolloutStatus.Halted, Reason = h.Reason },
            RolloutResumed => this with { Status = RolloutStatus.Running, Reason = null },
            RolloutAborted a => this with { Status = RolloutStatus.Aborted, Reason = $"aborted by {a.Actor.Description ?? a.Actor.Sid}" },
            RolloutCompleted => this with { Status = RolloutStatus.Completed },
            _ => this,
        };
        // The soak clock starts when the current wave first reaches the threshold.
        if (next.ThresholdReachedAt is null && next.Status == RolloutStatus.Running && e is RolloutWaveStarted or RolloutOutcomeRecorded or RolloutResumed
            && next.ThresholdReachedAt is null && next.ThresholdReached(next.Wave))
        {
            next = next with { ThresholdReachedAt = e.At };
        }
        return next;
    }
}

/// <summary>One wave as the API, CLI and console show it.</summary>
public sealed record RolloutWaveView(int Number, string Name, string State, int Total, int Succeeded, int Failed, int Required, Instant? SoakUntil) : ISowerSerializable;

/// <summary>A rollout as the API, CLI and console show it.</summary>
public sealed record RolloutView(SeedId Seed, RolloutStatus Status, string? Reason, int CurrentWave, Instant StartedAt, ImmutableArray<RolloutWaveView> Waves)
    : ISowerSerializable
{
    public static RolloutView Of(Rollout r)
    {
        var waves = ImmutableArray.CreateBuilder<RolloutWaveView>();
        var names = r.WaveNames;
        for (var i = 0; i < names.Length; i++)
        {
            var (total, ok, failed) = r.Tally(i);
            var state = i > r.Wave ? (r.Status == RolloutStatus.Aborted ? "skipped" : "pending")
                : i < r.Wave || r.Status == RolloutStatus.Completed ? "done"
                : r.Status switch
                {
                    RolloutStatus.Halted => "halted",
                    RolloutStatus.Aborted => "aborted",
                    _ => r.ThresholdReachedAt is null ? "running" : "soaking",
                };
            waves.Add(new RolloutWaveView(i + 1, names[i], state, total, ok, failed, r.Required(total), i == r.Wave ? r.SoakUntil : null));
        }
        return new RolloutView(r.Seed, r.Status, r.Reason, r.Wave + 1, r.StartedAt, waves.ToImmutable());
    }
}

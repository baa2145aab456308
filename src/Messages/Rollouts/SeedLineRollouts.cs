using System.Collections.Immutable;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using static Sower.Messages.Rollouts.RolloutEvents;
using static Sower.Messages.Seeds.SeedLineEvents;

namespace Sower.Messages.Rollouts;

/// <summary>
/// The rollout part of a seed line's state: its plan, the current (or latest) rollout, and the effective labels of the
/// gardens that follow it (pushed by their entities, so the line can place them in waves without asking anyone).
/// </summary>
public sealed record SeedLineRollouts(RolloutPlan? Plan, Rollout? Current, ImmutableDictionary<string, ImmutableDictionary<string, string>> Labels)
    : ISowerSerializable
{
    public static readonly SeedLineRollouts Empty = new(null, null, ImmutableDictionary<string, ImmutableDictionary<string, string>>.Empty);

    public ImmutableDictionary<string, string> LabelsOf(GardenId garden) => Labels.GetValueOrDefault(garden.Value) ?? GardenLabels.None;

    public SeedLineRollouts Apply(ISeedLineEvent e) => e switch
    {
        RolloutPlanSet p => this with { Plan = p.Plan },
        RolloutPlanCleared => this with { Plan = null },
        SeedLineFollowerLabeled l => this with { Labels = l.Labels.IsEmpty ? Labels.Remove(l.Garden.Value) : Labels.SetItem(l.Garden.Value, l.Labels) },
        RolloutStarted s => this with
        {
            Current = new Rollout(s.Seed, s.Plan, s.Targets, 0, RolloutStatus.Running, ImmutableDictionary<string, RolloutOutcome>.Empty, s.At, s.At, null, null)
                .Apply(new RolloutWaveStarted(s.Line, s.Seed, 0, s.At)),
        },
        IRolloutEvent r when Current is not null && Current.Seed == r.Seed => this with { Current = Current.Apply(r) },
        _ => this,
    };
}

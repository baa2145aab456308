using System.Collections.Immutable;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>What a completed deployment tells the garden's metrics (<see cref="GardenMetricsEvents.DeploymentEnded"/>).</summary>
public sealed partial class GardenDeploymentActor
{
    private GardenMetricsEvents.DeploymentEnded EndedForMetrics(string result) =>
        new(_push.Sid, result, [.. _push.Seeds.Select(item =>
        {
            var done = _state.Finished.GetValueOrDefault(item.Seed.Sid);
            var seedResult = result == GardenMetrics.RolledBack && _state.ArmedSeeds.Contains(item.Seed.Sid) ? GardenMetrics.RolledBack : done?.Result ?? "failure";
            var activated = done?.Action is { } action && action != PolicyAction.Stage.ToWire() && action != "none" && seedResult != "skipped";
            return new GardenMetricsEvents.EndedSeed(item.SubscriptionSid, seedResult, activated);
        })]);
}

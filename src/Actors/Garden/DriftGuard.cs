using Akka.Event;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// Before a deployment touches the system: look at the host again (drift is noticed before every deployment) and refuse an
/// automatic deployment of the very system Sower deployed before onto a host that was rolled back or switched by hand
/// (<see cref="HostConditionRules.HoldsForDrift"/>). Returns the log line saying so, or null to proceed.
/// </summary>
public static class DriftGuard
{
    public static string? Check(GardenStateStore store, ProfileRoots roots, Instant now, Trigger trigger, GardenSeed seed, EventStream events)
    {
        if (seed.SeedType != SeedType.NixOS) return null;
        var conditions = HostConditionStore.For(store);
        HostCondition condition;
        try
        {
            if (conditions.Observe(roots, now, out condition)) events.Publish(new HostConditionCommands.Changed());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            condition = conditions.Current;
        }
        return HostConditionRules.HoldsForDrift(condition, trigger, seed.Artifact)
            ? HostConditionRules.DriftHoldLine(condition, $"{seed.Name} ({seed.SeedTypeWire})")
            : null;
    }
}

using Akka.Event;
using NodaTime;
using Sower.Messages.Activator;
using Sower.Messages.Domain;
using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// An activation interrupted by a garden restart is read back from the profile as a <c>switch</c> (the running system must
/// move too). A boot-only install (<see cref="HostCondition.BootInstalling"/>) never moves the running system: it took
/// effect when the system profile selects the artifact, and then the host is marked reboot pending as after an
/// uninterrupted install.
/// </summary>
public static class BootInstallReconciler
{
    public static ReconcileOutcome Adjust(ReconcileOutcome outcome, GardenSeed seed, ProfileRoots roots, HostConditionStore conditions, Instant now, EventStream events)
    {
        if (outcome.Verdict == ReconcileVerdict.Applied || seed.SeedType != SeedType.NixOS || conditions.Current.BootInstalling != seed.Artifact) return outcome;
        if (SymlinkResolver.Canonicalize(roots.SystemProfile, out _) != seed.Artifact) return outcome;
        try
        {
            var running = SymlinkResolver.Canonicalize(roots.CurrentSystem, out _);
            var reason = running is null ? null : HostConditionRules.BootReason(BootChangeClassifier.Differing(running, seed.Artifact, out _));
            if (conditions.Update(c => HostConditionRules.AfterActivation(c, seed.Artifact, seed.Sid, NixosModes.Boot, reason ?? "kernel_changed", now), out _))
            {
                events.Publish(new HostConditionCommands.Changed());
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The install itself is read back; only the reboot-pending bookkeeping is behind.
        }
        return new ReconcileOutcome(ReconcileVerdict.Applied, $"system profile {roots.SystemProfile} selects {seed.Artifact}, installed for the next boot");
    }
}

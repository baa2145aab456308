using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Activator;
using Sower.Messages.Domain;

namespace Sower.Messages.GardenDaemon;

/// <summary>The host was given a new system for its next boot only (<c>switch-to-configuration boot</c>); it runs the old one until it reboots.</summary>
/// <param name="Reason">Which boot components changed: kernel_changed, initrd_changed, modules_changed, kernel_params_changed.</param>
public sealed record RebootPending(string System, string Reason, Instant Since);

/// <summary>The host does not run what Sower last deployed: rolled back or switched by hand.</summary>
/// <param name="Expected">The system Sower last deployed.</param>
/// <param name="Running">What the system profile (or the running system) points at instead; null when it points at nothing.</param>
/// <param name="Detail">One sentence for people: which link differs.</param>
public sealed record Drift(string Expected, string? Running, string Detail, Instant Since);

/// <summary>
/// What the garden knows about its host beyond the profiles: the system Sower last deployed, whether a reboot is pending
/// for a boot-only change, and whether the host drifted away from it. Kept in <c>&lt;state_directory&gt;/host-condition.json</c>.
/// </summary>
/// <param name="BootInstalling">A boot-only install asked of the activator and not yet confirmed: a garden restart reads
/// it back from the system profile (the running system does not move), see <c>BootInstallReconciler</c>.</param>
public sealed record HostCondition(string? DeployedSystem, string? DeployedSeedSid, RebootPending? RebootPending, Drift? Drift, string? BootInstalling = null)
{
    public static HostCondition None { get; } = new(null, null, null, null);

    /// <summary>The part the server is told about (what the API, CLI and console show).</summary>
    public (RebootPending? RebootPending, Drift? Drift) Reported => (RebootPending, Drift);
}

/// <summary>What the garden sees on the host right now: the canonical targets of the system profile, /run/current-system and /run/booted-system.</summary>
public sealed record HostObservation(string? Profile, string? Current, string? Booted);

/// <summary>Pure decisions about boot-only changes, reboot pending and drift (issue 16.4).</summary>
public static class HostConditionRules
{
    /// <summary>The top-level entries of a NixOS system that only take effect at boot, in the order that names the reason.</summary>
    public static readonly ImmutableArray<(string Entry, string Reason)> BootComponents =
    [
        ("kernel", "kernel_changed"),
        ("initrd", "initrd_changed"),
        ("kernel-modules", "modules_changed"),
        ("kernel-params", "kernel_params_changed"),
    ];

    /// <summary>Entries derived from the boot components (the bootloader's view of them): they may differ in a boot-only change but name no reason.</summary>
    public static readonly ImmutableArray<string> DerivedBootEntries = ["boot.json", "append-initrd-secrets"];

    public static readonly ImmutableArray<string> Reasons = ["kernel_changed", "initrd_changed", "modules_changed", "kernel_params_changed"];

    /// <summary>
    /// Whether a set of differing top-level entries (new system vs the running one) is a boot-only change, and why.
    /// Null when it is not: nothing differs, something outside the boot components differs, or the comparison failed.
    /// </summary>
    public static string? BootOnlyReason(IReadOnlyCollection<string>? differing)
    {
        if (differing is null || differing.Count == 0) return null;
        if (differing.Any(e => !DerivedBootEntries.Contains(e) && BootComponents.All(b => b.Entry != e))) return null;
        return BootReason(differing) ?? "kernel_changed";
    }

    /// <summary>The reason for a reboot when any boot component is among the differing entries (whatever else differs), else null.</summary>
    public static string? BootReason(IReadOnlyCollection<string>? differing)
    {
        if (differing is null) return null;
        return BootComponents.Where(b => differing.Contains(b.Entry)).Select(b => b.Reason).OrderBy(r => Reasons.IndexOf(r)).FirstOrDefault();
    }

    /// <summary>
    /// The switch-to-configuration mode for a NixOS seed: <c>boot</c> instead of <c>switch</c> when only boot components
    /// change and the executed action is activate (restart is not permitted now), so the running system never gets new
    /// kernel modules under its old kernel; otherwise the mode of the action.
    /// </summary>
    public static string? NixosMode(PolicyAction executing, string? bootOnlyReason) =>
        executing == PolicyAction.Activate && bootOnlyReason is not null ? NixosModes.Boot : ActivationModes.NixosMode(executing);

    /// <summary>After a successful NixOS activation: Sower now runs (or will boot) <paramref name="system"/>; drift is over.</summary>
    public static HostCondition AfterActivation(HostCondition before, string system, string seedSid, string mode, string? bootOnlyReason, Instant now) =>
        before with
        {
            DeployedSystem = system,
            DeployedSeedSid = seedSid,
            RebootPending = mode == NixosModes.Boot && bootOnlyReason is not null ? new RebootPending(system, bootOnlyReason, now) : null,
            Drift = null,
            BootInstalling = null,
        };

    /// <summary>
    /// Looks at the host: a pending reboot ends when the host booted the deployed system (or the profile moved elsewhere);
    /// the host has drifted when its system profile, or (with no reboot pending) its running system, is not what Sower
    /// deployed. Nothing is decided before Sower deployed anything. An unchanged drift keeps its first <c>Since</c>.
    /// </summary>
    public static HostCondition Observe(HostCondition before, HostObservation seen, Instant now)
    {
        if (before.DeployedSystem is not { } deployed) return before;
        var pending = before.RebootPending;
        // Over when the host booted it, runs it already (switched live later), or its profile moved on.
        if (pending is not null && (seen.Booted == pending.System || seen.Current == pending.System || seen.Profile != pending.System)) pending = null;
        Drift? drift = null;
        if (seen.Profile != deployed)
        {
            drift = new Drift(deployed, seen.Profile,
                seen.Profile is null ? "the system profile points at nothing" : "the system profile points at another system than Sower deployed", now);
        }
        else if (pending is null && seen.Current is { } current && current != deployed)
        {
            drift = new Drift(deployed, current, "the running system is not the one Sower deployed", now);
        }
        if (drift is not null && before.Drift is { } earlier && earlier.Running == drift.Running && earlier.Expected == drift.Expected)
        {
            drift = earlier;
        }
        return before with { RebootPending = pending, Drift = drift };
    }

    /// <summary>
    /// Whether a deployment must not touch a drifted host: an automatic trigger (scheduled, realtime, poll on connect)
    /// bringing the very system Sower deployed before would silently undo a rollback or switch done by hand. A manual
    /// deploy, or a new seed, proceeds.
    /// </summary>
    public static bool HoldsForDrift(HostCondition condition, Trigger trigger, string artifact) =>
        condition.Drift is not null
        && trigger is Trigger.Scheduled or Trigger.Realtime or Trigger.PollOnConnect
        && artifact == condition.DeployedSystem;

    public static string DriftHoldLine(HostCondition condition, string label) =>
        $"{label} not deployed: the host has drifted ({condition.Drift?.Detail}; it runs {condition.Drift?.Running ?? "nothing"} instead of " +
        $"{condition.DeployedSystem}) and an automatic trigger never overwrites that with the same seed; deploy manually (or a new seed) to replace it";
}

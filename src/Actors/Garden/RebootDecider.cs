using Sower.Messages.GardenDaemon;

namespace Sower.Actors.Garden;

/// <summary>
/// The outcome of the reboot decision (REFERENCE §5.12). <c>CheckFailed</c>: the check could not run (a link it compares is
/// missing or unreadable), so the deployment must end as <c>warning</c>, never as a plain success.
/// </summary>
public sealed record RebootDecision(string? Reason, bool SwitchLive, string? NewSystem, IReadOnlyList<string> Lines, bool CheckFailed = false);

/// <summary>
/// Compares the canonical kernel, initrd and kernel modules of the new system with the booted one; never path strings
/// (pitfall 28). Pure over the file system, so tests run it on symlink trees in a temp directory.
/// </summary>
public static class RebootDecider
{
    private static readonly (string Component, string Reason)[] Components =
        [("kernel", "kernel_changed"), ("initrd", "initrd_changed"), ("kernel-modules", "modules_changed")];

    public static RebootDecision Decide(string provisionalResult, ProfileRoots roots)
    {
        if (provisionalResult != "success")
        {
            return new RebootDecision(null, false, null, [$"reboot skipped: deployment result was {provisionalResult}"]);
        }
        var n = SymlinkResolver.Canonicalize(roots.SystemProfile, out var error);
        var b = n is null ? null : SymlinkResolver.Canonicalize(roots.BootedSystem, out error);
        var c = b is null ? null : SymlinkResolver.Canonicalize(roots.CurrentSystem, out error);
        if (n is null || b is null || c is null)
        {
            return new RebootDecision(null, false, null,
                [$"reboot check failed: {error}; the system was switched but neither rebooted nor checked, so the deployment ends as warning"],
                CheckFailed: true);
        }
        foreach (var (component, reason) in Components)
        {
            var nc = ComponentPath(n, component);
            var bc = ComponentPath(b, component);
            if (nc != bc)
            {
                return new RebootDecision(reason, false, n, [$"reboot initiated: {reason}"]);
            }
        }
        return c != n
            ? new RebootDecision(null, true, n, ["no reboot required; switching live"])
            : new RebootDecision(null, false, n, ["no reboot required"]);
    }

    // Missing on one side counts as changed (null vs a path); missing on both sides is equal (null == null).
    private static string? ComponentPath(string system, string component)
    {
        var path = Path.Combine(system, component);
        return SymlinkResolver.Canonicalize(path, out _);
    }
}

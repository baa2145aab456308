using Sower.Messages.Gardens;

namespace Sower.Server.Api;

/// <summary>A boot-only change was installed for the next boot; the host runs the old system until it reboots.</summary>
public sealed record RebootPendingWire(string System, string Reason, string Since);

/// <summary>The host runs something other than what Sower last deployed (rolled back or switched by hand).</summary>
public sealed record DriftWire(string Expected, string? Running, string Detail, string Since);

public static class GardenConditionWire
{
    public static RebootPendingWire? RebootPending(GardenState g) => g.Condition?.RebootPending is { } p
        ? new RebootPendingWire(p.System, p.Reason, ApiWire.Time(p.Since)!)
        : null;

    public static DriftWire? Drift(GardenState g) => g.Condition?.Drift is { } d
        ? new DriftWire(d.Expected, d.Running, d.Detail, ApiWire.Time(d.Since)!)
        : null;
}

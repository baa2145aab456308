using Sower.Messages.Domain;

namespace Sower.Messages.Deployments;

/// <summary>REFERENCE §6.4. Unresolved = Dispatched or Acknowledged.</summary>
public enum DeploymentState { AwaitingApproval, Dispatched, Acknowledged, Completed, Stale, Canceled }

/// <summary>
/// How a deployment ended. <c>Warning</c>: every seed was applied, but a check the policy asked for could not run (say, the
/// reboot check without current-system/booted-system links); the deployment log says why. <c>RolledBack</c>: the switch
/// happened, no confirmation came in time, and the host's activator went back to the previous generation. Members are
/// appended, never reordered.
/// </summary>
public enum DeploymentResult { Success, Failure, Partial, Skipped, Warning, RolledBack }

public enum SeedDeploymentState { Pending, Downloading, Activating, Completed }

public enum SeedResult { Success, Failure, Skipped }

/// <summary>What the garden actually did with a seed; None is below Stage in disruption.</summary>
public enum ExecutedAction { None = 0, Stage = 1, Activate = 2, Restart = 3 }

/// <summary>Why a deployment was canceled (event `canceled`).</summary>
public enum CancelReason { Superseded, Stale, Rejected, Expired }

public static class DeploymentWire
{
    public static string ToWire(this DeploymentState s) => s switch
    {
        DeploymentState.AwaitingApproval => "awaiting_approval",
        DeploymentState.Dispatched => "dispatched",
        DeploymentState.Acknowledged => "acknowledged",
        DeploymentState.Completed => "completed",
        DeploymentState.Stale => "stale",
        DeploymentState.Canceled => "canceled",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static bool IsUnresolved(this DeploymentState s) => s is DeploymentState.Dispatched or DeploymentState.Acknowledged;

    /// <summary>True when the deployment's seeds were applied: success, or success with a warning.</summary>
    public static bool IsApplied(this DeploymentResult r) => r is DeploymentResult.Success or DeploymentResult.Warning;

    public static string ToWire(this DeploymentResult r) => r == DeploymentResult.RolledBack ? "rolled_back" : r.ToString().ToLowerInvariant();

    /// <summary>Results that count as a failed rollout (stale aside): failure, partial and rolled_back.</summary>
    public static bool IsFailure(this DeploymentResult r) => r is DeploymentResult.Failure or DeploymentResult.Partial or DeploymentResult.RolledBack;

    public static string ToWire(this SeedDeploymentState s) => s.ToString().ToLowerInvariant();

    public static string ToWire(this SeedResult r) => r.ToString().ToLowerInvariant();

    public static string ToWire(this ExecutedAction a) => a.ToString().ToLowerInvariant();

    public static string ToWire(this CancelReason r) => r.ToString().ToLowerInvariant();

    public static bool TryParseState(string? wire, out DeploymentState state) => TryParseEnum(wire, s => s.ToWire(), out state);

    public static bool TryParseResult(string? wire, out DeploymentResult result) => TryParseEnum(wire, r => r.ToWire(), out result);

    public static bool TryParseSeedState(string? wire, out SeedDeploymentState state) => TryParseEnum(wire, s => s.ToWire(), out state);

    public static bool TryParseSeedResult(string? wire, out SeedResult result) => TryParseEnum(wire, r => r.ToWire(), out result);

    public static bool TryParseExecuted(string? wire, out ExecutedAction action) => TryParseEnum(wire, a => a.ToWire(), out action);

    /// <summary>True when what was executed is at least as disruptive as the action authorized now (REFERENCE §6.4 step 4).</summary>
    public static bool Covers(this ExecutedAction executed, PolicyAction authorized) => (int)executed >= (int)authorized;

    private static bool TryParseEnum<T>(string? wire, Func<T, string> toWire, out T value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (toWire(candidate) == wire) { value = candidate; return true; }
        }
        value = default;
        return false;
    }
}
